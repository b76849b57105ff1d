"""Apple Health facts: export layout, HealthKit type identifiers, units, sleep values, limits.

Apple Health has no cloud API (shared vendors reference 2.9): data arrives as the Health app's
``export.zip`` (``apple_health_export/export.xml``) or as HealthKit samples a phone app pushes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from fithub.plugins.provider import ProviderSpec
from fithub.plugins.records import BodyKind, SampleKind, SleepStageKind
from fithub.plugins.types import DataType

NAME = "apple_health"
DISPLAY_NAME = "Apple Health"

# -- the export file ------------------------------------------------------------------------------

ROOT = "HealthData"  # the root element of export.xml (export_cda.xml has <ClinicalDocument>)
EXPORT_MEMBER = "apple_health_export/export.xml"  # localised exports name it otherwise
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or an empty archive
HEAD_BYTES = 1024 * 1024  # the DTD alone is ~10 kB: <HealthData> must start within this
READ_BYTES = 256 * 1024  # one read from the file or zip member while parsing
MAX_XML_MEMBERS_TRIED = 8  # XML members of a zip looked into for the HealthData document
MAX_CHILDREN = 200  # children kept per top-level element (a Workout's Locations are dropped)
MAX_METADATA = 50  # MetadataEntry values kept in a record's raw payload

# Top-level elements under <HealthData> that carry data (ExportDate and Me are read, not counted).
DATA_ELEMENTS = frozenset({"Record", "Correlation", "Workout", "ActivitySummary",
                           "ClinicalRecord", "Audiogram", "VisionPrescription"})  # fmt: skip
# Children kept (at depth 2 below the root); FileReference (a workout route's GPX) at depth 3.
KEPT_CHILDREN = frozenset({"MetadataEntry", "Record", "WorkoutStatistics", "WorkoutRoute"})

# -- quantity types -------------------------------------------------------------------------------

Target = Literal["sample", "body", "daily"]
# Unit -> (scale, offset): value_in_fithub_unit = value * scale + offset.
Units = dict[str, tuple[float, float]]

BEATS: Units = {"count/min": (1.0, 0.0), "count/s": (60.0, 0.0)}
MILLIS: Units = {"ms": (1.0, 0.0), "s": (1000.0, 0.0)}
# HealthKit's percent unit holds a fraction (0.97 is 97 %): see mapping.percent.
PERCENT: Units = {"%": (100.0, 0.0)}
MASS: Units = {"kg": (1.0, 0.0), "g": (0.001, 0.0), "lb": (0.45359237, 0.0),
               "oz": (0.028349523125, 0.0), "st": (6.35029318, 0.0)}  # fmt: skip
LENGTH: Units = {"m": (1.0, 0.0), "cm": (0.01, 0.0), "mm": (0.001, 0.0), "km": (1000.0, 0.0),
                 "in": (0.0254, 0.0), "ft": (0.3048, 0.0), "yd": (0.9144, 0.0),
                 "mi": (1609.344, 0.0)}  # fmt: skip
PRESSURE: Units = {"mmHg": (1.0, 0.0), "kPa": (7.500617, 0.0), "cmAq": (0.735559, 0.0)}
TEMPERATURE: Units = {"degC": (1.0, 0.0), "degF": (5 / 9, -160 / 9), "K": (1.0, -273.15)}
COUNT: Units = {"count": (1.0, 0.0)}
ENERGY: Units = {"kcal": (1.0, 0.0), "Cal": (1.0, 0.0), "cal": (0.001, 0.0),
                 "kJ": (1 / 4.184, 0.0), "J": (1 / 4184, 0.0)}  # fmt: skip
MINUTES: Units = {"min": (1.0, 0.0), "s": (1 / 60, 0.0), "hr": (60.0, 0.0), "ms": (1 / 60000, 0.0)}


@dataclass(frozen=True)
class Quantity:
    """What fithub makes of one HealthKit quantity type."""

    target: Target
    units: Units
    sample: SampleKind | None = None
    body: BodyKind | None = None
    daily: str | None = None  # the DailyTotals field it is summed into
    context: str | None = None  # Sample.context
    data_type: DataType = DataType.HEART_RATE


HK = "HKQuantityTypeIdentifier"
# Apple measures heart-rate variability as SDNN, which is not RMSSD (hrv_rmssd, what Oura and
# WHOOP report): SDNN samples are stored under their own kind, "hrv_sdnn", when this fithub's
# SampleKind has it, and skipped (with that reason) until then; never passed off as RMSSD.
HRV_SDNN: SampleKind | None = next((k for k in SampleKind if k.value == "hrv_sdnn"), None)
NO_SDNN_KIND = (
    "HeartRateVariabilitySDNN: this fithub has no hrv_sdnn sample kind (SDNN is not RMSSD)"
)
QUANTITIES: dict[str, Quantity] = {
    f"{HK}HeartRate": Quantity("sample", BEATS, sample=SampleKind.HEART_RATE),
    f"{HK}RestingHeartRate": Quantity(
        "sample", BEATS, sample=SampleKind.HEART_RATE, context="rest"
    ),  # fmt: skip
    f"{HK}HeartRateVariabilitySDNN": Quantity(
        "sample", MILLIS, sample=HRV_SDNN, data_type=DataType.HRV
    ),  # fmt: skip
    f"{HK}OxygenSaturation": Quantity(
        "sample", PERCENT, sample=SampleKind.SPO2, data_type=DataType.SPO2
    ),  # fmt: skip
    f"{HK}RespiratoryRate": Quantity("sample", BEATS, sample=SampleKind.RESPIRATORY_RATE),
    f"{HK}BodyMass": Quantity("body", MASS, body=BodyKind.WEIGHT, data_type=DataType.BODY),
    f"{HK}BodyFatPercentage": Quantity(
        "body", PERCENT, body=BodyKind.BODY_FAT, data_type=DataType.BODY
    ),  # fmt: skip
    f"{HK}Height": Quantity("body", LENGTH, body=BodyKind.HEIGHT, data_type=DataType.BODY),
    f"{HK}BodyMassIndex": Quantity("body", COUNT, body=BodyKind.BMI, data_type=DataType.BODY),
    f"{HK}BloodPressureSystolic": Quantity(
        "body", PRESSURE, body=BodyKind.SYSTOLIC, data_type=DataType.BODY
    ),  # fmt: skip
    f"{HK}BloodPressureDiastolic": Quantity(
        "body", PRESSURE, body=BodyKind.DIASTOLIC, data_type=DataType.BODY
    ),  # fmt: skip
    f"{HK}BodyTemperature": Quantity(
        "body", TEMPERATURE, body=BodyKind.BODY_TEMPERATURE, data_type=DataType.BODY
    ),  # fmt: skip
    # Summed per local day into DailySummary (exports); steps pushed by an app become Samples.
    f"{HK}StepCount": Quantity(
        "daily", COUNT, sample=SampleKind.STEPS, daily="steps", data_type=DataType.DAILY
    ),  # fmt: skip
    f"{HK}DistanceWalkingRunning": Quantity(
        "daily", LENGTH, daily="distance_m", data_type=DataType.DAILY
    ),  # fmt: skip
    f"{HK}ActiveEnergyBurned": Quantity(
        "daily", ENERGY, daily="active_kcal", data_type=DataType.DAILY
    ),  # fmt: skip
    f"{HK}BasalEnergyBurned": Quantity(
        "daily", ENERGY, daily="basal_kcal", data_type=DataType.DAILY
    ),  # fmt: skip
    f"{HK}AppleExerciseTime": Quantity(
        "daily", MINUTES, daily="exercise_min", data_type=DataType.DAILY
    ),  # fmt: skip
}
RESTING_HEART_RATE = f"{HK}RestingHeartRate"
# HKMetadataKeyHeartRateMotionContext: 0 not set, 1 sedentary, 2 active.
MOTION_CONTEXT_KEY = "HKMetadataKeyHeartRateMotionContext"
MOTION_CONTEXTS = {"1": "rest", "2": "active"}

# -- sleep ----------------------------------------------------------------------------------------

SLEEP_TYPE = "HKCategoryTypeIdentifierSleepAnalysis"
IN_BED = "in_bed"
# HealthKit's HKCategoryValueSleepAnalysis names (export.xml) and raw values (the phone app).
SLEEP_VALUES: dict[str, str] = {
    "HKCategoryValueSleepAnalysisInBed": IN_BED,
    "HKCategoryValueSleepAnalysisAsleepUnspecified": SleepStageKind.ASLEEP.value,
    "HKCategoryValueSleepAnalysisAsleep": SleepStageKind.ASLEEP.value,  # before iOS 16
    "HKCategoryValueSleepAnalysisAwake": SleepStageKind.AWAKE.value,
    "HKCategoryValueSleepAnalysisAsleepCore": SleepStageKind.LIGHT.value,
    "HKCategoryValueSleepAnalysisAsleepDeep": SleepStageKind.DEEP.value,
    "HKCategoryValueSleepAnalysisAsleepREM": SleepStageKind.REM.value,
    "0": IN_BED, "1": SleepStageKind.ASLEEP.value, "2": SleepStageKind.AWAKE.value,
    "3": SleepStageKind.LIGHT.value, "4": SleepStageKind.DEEP.value, "5": SleepStageKind.REM.value,
}  # fmt: skip
SLEEP_GAP_S = 3600  # samples of one source less than an hour apart belong to one session
NAP_MAX_S = 3 * 3600  # a session shorter than this that starts in the day is a nap
NAP_HOURS = range(9, 20)  # local start hours of the day, for naps

# -- workouts and activity summaries --------------------------------------------------------------

WORKOUT_TYPE = "HKWorkoutTypeIdentifier"  # the type a phone app pushes a workout under
ACTIVITY_PREFIX = "HKWorkoutActivityType"
SPORT_NAMES = {
    "TraditionalStrengthTraining": "strength_training",
    "FunctionalStrengthTraining": "functional_strength_training",
    "HighIntensityIntervalTraining": "hiit",
    "MixedCardio": "mixed_cardio",
    "CrossTraining": "cross_training",
}
WORKOUT_DISTANCES = frozenset({f"{HK}DistanceWalkingRunning", f"{HK}DistanceCycling",
                               f"{HK}DistanceSwimming", f"{HK}DistanceWheelchair",
                               f"{HK}DistanceDownhillSnowSports"})  # fmt: skip
WORKOUT_ENERGY = f"{HK}ActiveEnergyBurned"
WORKOUT_HEART_RATE = f"{HK}HeartRate"
WORKOUT_STEPS = f"{HK}StepCount"
DURATION_UNITS: Units = {"min": (60.0, 0.0), "s": (1.0, 0.0), "hr": (3600.0, 0.0)}

# -- the phone app's batch ------------------------------------------------------------------------

MAX_BATCH_RECORDS = 1000  # records one POST .../batch may carry
HK_ID_PREFIX = "hk:"  # external ids of pushed samples: "hk:" + the HealthKit UUID

# The data types Apple Health data is stored under (nothing is fetched: see docs). HRV only when
# this fithub can store SDNN (see HRV_SDNN): a declared type must be one an import can produce.
DATA_TYPES: tuple[DataType, ...] = (
    DataType.ACTIVITIES, DataType.DAILY, DataType.HEART_RATE, DataType.SLEEP, DataType.BODY,
    *((DataType.HRV,) if HRV_SDNN is not None else ()), DataType.SPO2,
)  # fmt: skip
# "file_import": the person brings the data. The phone app's batch is pushed by the person's own
# authenticated app, not by a vendor server, so it is not "push_only" (webhooks).
SPEC = ProviderSpec(NAME, DISPLAY_NAME, "file_import", data_types=DATA_TYPES,
                    max_window=timedelta(days=3650))  # fmt: skip
MAX_SKIP_REASONS = 100  # distinct skip reasons counted one by one; the rest as "other"
