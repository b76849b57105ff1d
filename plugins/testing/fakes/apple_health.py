"""Apple Health has no server to fake: this writes Health app exports instead, small or huge.

``export_xml(...)`` wraps handwritten elements (``record``, ``workout``, ...) in the header the
Health app writes (the XML declaration and the internal DTD with its ELEMENT and ATTLIST
declarations, as in HealthKit Export Version 13/14 files seen in public parsers' fixtures);
``export_zip`` packs it as ``apple_health_export/export.xml`` beside ``export_cda.xml`` and a
workout route, as the iPhone does. :func:`write_export` streams a realistic export of any size
(months or years of heart rate, steps from an iPhone and a Watch, energy, nightly sleep stages,
HRV, SpO2, weights, blood pressure, workouts with statistics, activity rings) to a binary file,
never holding it in memory: for tests and ``bench/apple_import.py``.
"""

from __future__ import annotations

import io
import random
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import BinaryIO
from xml.sax.saxutils import quoteattr

WATCH = "Alex’s Apple Watch"
PHONE = "Alex’s iPhone"
WATCH_DEVICE = ("<<HKDevice: 0x28308c0f0>, name:Apple Watch, manufacturer:Apple Inc., model:Watch, "
                "hardware:Watch6,1, software:10.1>")  # fmt: skip
PHONE_DEVICE = ("<<HKDevice: 0x2830c1ae0>, name:iPhone, manufacturer:Apple Inc., model:iPhone, "
                "hardware:iPhone14,5, software:17.2>")  # fmt: skip
ZONE = timezone(timedelta(hours=-5))
EXPORT_MEMBER = "apple_health_export/export.xml"

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 13 -->
<!ELEMENT HealthData (ExportDate,Me,({DATA})*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Me EMPTY>
<!ATTLIST Me
  HKCharacteristicTypeIdentifierDateOfBirth         CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBiologicalSex       CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBloodType           CDATA #REQUIRED
  HKCharacteristicTypeIdentifierFitzpatrickSkinType CDATA #REQUIRED
  HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse CDATA #IMPLIED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!-- Note: Any Records that appear as children of a correlation also appear as top-level records in this document. -->
<!ELEMENT Correlation ((MetadataEntry|Record)*)>
<!ATTLIST Correlation
  type          CDATA #REQUIRED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent|WorkoutRoute|WorkoutStatistics)*)>
<!ATTLIST Workout
  workoutActivityType   CDATA #REQUIRED
  duration              CDATA #IMPLIED
  durationUnit          CDATA #IMPLIED
  totalDistance         CDATA #IMPLIED
  totalDistanceUnit     CDATA #IMPLIED
  totalEnergyBurned     CDATA #IMPLIED
  totalEnergyBurnedUnit CDATA #IMPLIED
  sourceName            CDATA #REQUIRED
  sourceVersion         CDATA #IMPLIED
  device                CDATA #IMPLIED
  creationDate          CDATA #IMPLIED
  startDate             CDATA #REQUIRED
  endDate               CDATA #REQUIRED
>
<!ELEMENT WorkoutStatistics EMPTY>
<!ATTLIST WorkoutStatistics
  type      CDATA #REQUIRED
  startDate CDATA #REQUIRED
  endDate   CDATA #REQUIRED
  average   CDATA #IMPLIED
  minimum   CDATA #IMPLIED
  maximum   CDATA #IMPLIED
  sum       CDATA #IMPLIED
  unit      CDATA #IMPLIED
>
<!ELEMENT WorkoutRoute ((MetadataEntry|FileReference)*)>
<!ATTLIST WorkoutRoute
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT FileReference EMPTY>
<!ATTLIST FileReference
  path CDATA #REQUIRED
>
<!ELEMENT ActivitySummary EMPTY>
<!ATTLIST ActivitySummary
  dateComponents           CDATA #IMPLIED
  activeEnergyBurned       CDATA #IMPLIED
  activeEnergyBurnedGoal   CDATA #IMPLIED
  activeEnergyBurnedUnit   CDATA #IMPLIED
  appleMoveTime            CDATA #IMPLIED
  appleMoveTimeGoal        CDATA #IMPLIED
  appleExerciseTime        CDATA #IMPLIED
  appleExerciseTimeGoal    CDATA #IMPLIED
  appleStandHours          CDATA #IMPLIED
  appleStandHoursGoal      CDATA #IMPLIED
>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry
  key   CDATA #REQUIRED
  value CDATA #REQUIRED
>
]>
""".replace(
    "{DATA}",
    "Record|Correlation|Workout|ActivitySummary|ClinicalRecord|Audiogram|VisionPrescription",
)
ME = (' <Me HKCharacteristicTypeIdentifierDateOfBirth="1990-04-02" '
      'HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale" '
      'HKCharacteristicTypeIdentifierBloodType="HKBloodTypeNotSet" '
      'HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet" '
      'HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse="None"/>\n')  # fmt: skip
HK = "HKQuantityTypeIdentifier"
SLEEP = "HKCategoryTypeIdentifierSleepAnalysis"
SLEEP_VALUE = "HKCategoryValueSleepAnalysis"


def stamp(moment: datetime) -> str:
    """Apple's ``2024-01-15 08:30:00 -0500``."""
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")


def _attrs(values: dict[str, str | None]) -> str:
    return " ".join(f"{k}={quoteattr(v)}" for k, v in values.items() if v is not None)


def record(type_name: str, value: str | float | None, start: datetime,
           end: datetime | None = None, *, unit: str | None = None, source: str = WATCH,
           device: str | None = WATCH_DEVICE, metadata: dict[str, str] | None = None,
           indent: str = " ") -> str:  # fmt: skip
    """One ``<Record>`` element (with ``<MetadataEntry>`` children when given)."""
    attrs = _attrs({
        "type": type_name, "sourceName": source, "sourceVersion": "10.1", "device": device,
        "unit": unit, "creationDate": stamp((end or start) + timedelta(seconds=41)),
        "startDate": stamp(start), "endDate": stamp(end or start),
        "value": None if value is None else str(value),
    })  # fmt: skip
    if not metadata:
        return f"{indent}<Record {attrs}/>\n"
    entries = "".join(f'{indent} <MetadataEntry key={quoteattr(k)} value={quoteattr(v)}/>\n'
                      for k, v in metadata.items())  # fmt: skip
    return f"{indent}<Record {attrs}>\n{entries}{indent}</Record>\n"


def sleep(value: str, start: datetime, end: datetime, source: str = WATCH) -> str:
    """A sleep-analysis sample: ``value`` is InBed, AsleepCore, AsleepDeep, AsleepREM, Awake..."""
    return record(SLEEP, SLEEP_VALUE + value, start, end, source=source,
                  device=WATCH_DEVICE if source == WATCH else None)  # fmt: skip


def blood_pressure(systolic: float, diastolic: float, moment: datetime,
                   source: str = "Omron Connect") -> str:  # fmt: skip
    """A blood-pressure ``<Correlation>`` holding its two records."""
    inner = "".join(record(f"{HK}BloodPressure{kind}", value, moment, unit="mmHg", source=source,
                           device=None, indent="  ")
                    for kind, value in (("Systolic", systolic), ("Diastolic", diastolic)))  # fmt: skip
    attrs = _attrs({"type": "HKCorrelationTypeIdentifierBloodPressure", "sourceName": source,
                    "creationDate": stamp(moment), "startDate": stamp(moment),
                    "endDate": stamp(moment)})  # fmt: skip
    return f" <Correlation {attrs}>\n{inner} </Correlation>\n"


def workout(activity: str, start: datetime, end: datetime, *, energy_kcal: float | None = None,
            distance_km: float | None = None, avg_hr: float | None = None,
            max_hr: float | None = None, statistics: bool = True,
            route: str | None = None) -> str:  # fmt: skip
    """A ``<Workout>``: totals as ``<WorkoutStatistics>`` (newer exports) or as attributes."""
    minutes = (end - start).total_seconds() / 60
    attrs: dict[str, str | None] = {
        "workoutActivityType": f"HKWorkoutActivityType{activity}",
        "duration": f"{minutes:.4f}", "durationUnit": "min",
    }  # fmt: skip
    if not statistics:
        if distance_km is not None:
            attrs |= {"totalDistance": f"{distance_km:.3f}", "totalDistanceUnit": "km"}
        if energy_kcal is not None:
            attrs |= {"totalEnergyBurned": f"{energy_kcal:.1f}", "totalEnergyBurnedUnit": "kcal"}
    attrs |= {
        "sourceName": WATCH,
        "sourceVersion": "10.1",
        "device": WATCH_DEVICE,
        "creationDate": stamp(end),
        "startDate": stamp(start),
        "endDate": stamp(end),
    }
    span: dict[str, str | None] = {"startDate": stamp(start), "endDate": stamp(end)}

    def stat(kind: str, **values: str) -> str:
        return f" <WorkoutStatistics {_attrs({'type': HK + kind, **span, **values})}/>\n"

    children = [' <MetadataEntry key="HKIndoorWorkout" value="0"/>\n']
    if statistics:
        if energy_kcal is not None:
            children.append(stat("ActiveEnergyBurned", sum=f"{energy_kcal:.1f}", unit="kcal"))
        if distance_km is not None:
            children.append(stat("DistanceWalkingRunning", sum=f"{distance_km:.3f}", unit="km"))
        if avg_hr is not None:
            children.append(stat("HeartRate", average=f"{avg_hr:.1f}", minimum="92",
                                 maximum=f"{max_hr or avg_hr:.0f}", unit="count/min"))  # fmt: skip
    if route:
        route_attrs = _attrs({"sourceName": WATCH, **span})
        children.append(f"  <WorkoutRoute {route_attrs}>\n"
                        f'   <FileReference path="{route}"/>\n  </WorkoutRoute>\n')  # fmt: skip
    body = "".join(" " + child for child in children)
    return f" <Workout {_attrs(attrs)}>\n{body} </Workout>\n"


def activity_summary(day: date, active_kcal: float, exercise_min: float, stand_hours: int) -> str:
    attrs = _attrs({
        "dateComponents": day.isoformat(), "activeEnergyBurned": f"{active_kcal:g}",
        "activeEnergyBurnedGoal": "600", "activeEnergyBurnedUnit": "kcal",
        "appleMoveTime": "0", "appleMoveTimeGoal": "0", "appleExerciseTime": f"{exercise_min:g}",
        "appleExerciseTimeGoal": "30", "appleStandHours": str(stand_hours),
        "appleStandHoursGoal": "12",
    })  # fmt: skip
    return f" <ActivitySummary {attrs}/>\n"


def opening(export_date: datetime, locale: str = "en_US") -> str:
    return (f'{HEADER}<HealthData locale="{locale}">\n'
            f' <ExportDate value="{stamp(export_date)}"/>\n{ME}')  # fmt: skip


CLOSING = "</HealthData>\n"


def export_xml(*elements: str, export_date: datetime | None = None) -> bytes:
    """A complete export.xml holding ``elements`` (strings from the helpers above)."""
    moment = export_date or datetime(2024, 1, 20, 10, 0, tzinfo=ZONE)
    return (opening(moment) + "".join(elements) + CLOSING).encode()


CDA = b"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>Health Data</title></ClinicalDocument>
"""
GPX = b"""<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="Apple Health Export"><trk><name>Route</name></trk></gpx>
"""


def export_zip(xml: bytes, member: str = EXPORT_MEMBER) -> bytes:
    """An export.zip as the iPhone writes it: export.xml, export_cda.xml and a workout route."""
    out = io.BytesIO()
    folder = member.rsplit("/", 1)[0] + "/" if "/" in member else ""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{folder}export_cda.xml", CDA)  # first: the reader must pick by content
        archive.writestr(f"{folder}workout-routes/route_2024-01-15_9.00am.gpx", GPX)
        archive.writestr(member, xml)
    return out.getvalue()


# -- big exports ----------------------------------------------------------------------------------


@dataclass
class ExportSummary:
    """What :func:`write_export` wrote."""

    days: int = 0
    elements: int = 0
    bytes: int = 0


def _day(rng: random.Random, day: date) -> list[str]:
    """One realistic day: ~1,300 elements, ~450 kB of XML."""
    out: list[str] = []
    midnight = datetime.combine(day, time(0), ZONE)
    # Nightly sleep (from the previous evening): the iPhone's in-bed time, the Watch's stages.
    bed = midnight - timedelta(minutes=rng.randint(30, 90))
    out.append(sleep("InBed", bed, bed + timedelta(hours=8), source=PHONE))
    moment = bed + timedelta(minutes=rng.randint(5, 20))
    for _ in range(18):
        length = timedelta(minutes=rng.randint(10, 35))
        stage = rng.choice(("AsleepCore", "AsleepCore", "AsleepDeep", "AsleepREM", "Awake"))
        out.append(sleep(stage, moment, moment + length))
        moment += length
    # Heart rate every 5 minutes (every 5 s during the workout), HRV, SpO2, breathing.
    for minute in range(0, 24 * 60, 5):
        at = midnight + timedelta(minutes=minute, seconds=rng.randint(0, 59))
        out.append(record(f"{HK}HeartRate", rng.randint(52, 110), at, unit="count/min",
                          metadata={"HKMetadataKeyHeartRateMotionContext": rng.choice("012")}))  # fmt: skip
    for hour in (1, 3, 5, 9, 15):
        at = midnight + timedelta(hours=hour, minutes=rng.randint(0, 59))
        out.append(record(f"{HK}HeartRateVariabilitySDNN", f"{rng.uniform(25, 80):.4f}", at,
                          at + timedelta(minutes=1), unit="ms"))  # fmt: skip
    for hour in range(0, 7):
        at = midnight + timedelta(hours=hour, minutes=rng.randint(0, 59))
        out.append(record(f"{HK}OxygenSaturation", f"{rng.uniform(0.93, 0.99):.2f}", at, unit="%"))
        out.append(record(f"{HK}RespiratoryRate", f"{rng.uniform(12, 17):.1f}", at,
                          unit="count/min"))  # fmt: skip
    out.append(record(f"{HK}RestingHeartRate", rng.randint(50, 62), midnight + timedelta(hours=23),
                      unit="count/min"))  # fmt: skip
    # Steps and walking distance from both the iPhone and the Watch; energy from the Watch.
    for source, device in ((PHONE, PHONE_DEVICE), (WATCH, WATCH_DEVICE)):
        for slot in range(7 * 6, 23 * 6):  # every 10 minutes from 07:00
            start = midnight + timedelta(minutes=slot * 10)
            steps = rng.randint(0, 300)
            out.append(record(f"{HK}StepCount", steps, start, start + timedelta(minutes=9),
                              unit="count", source=source, device=device))  # fmt: skip
            out.append(record(f"{HK}DistanceWalkingRunning", f"{steps * 0.00072:.5f}", start,
                              start + timedelta(minutes=9), unit="km", source=source,
                              device=device))  # fmt: skip
    for minute in range(0, 24 * 60, 3):
        start = midnight + timedelta(minutes=minute)
        out.append(record(f"{HK}ActiveEnergyBurned", f"{rng.uniform(0.1, 4):.3f}", start,
                          start + timedelta(minutes=3), unit="kcal"))  # fmt: skip
    for minute in range(0, 24 * 60, 15):
        start = midnight + timedelta(minutes=minute)
        out.append(record(f"{HK}BasalEnergyBurned", f"{rng.uniform(15, 18):.3f}", start,
                          start + timedelta(minutes=15), unit="kcal"))  # fmt: skip
    if day.toordinal() % 3 == 0:
        out.append(record(f"{HK}BodyMass", f"{rng.uniform(60, 62):.1f}",
                          midnight + timedelta(hours=7), unit="kg", source="Withings",
                          device=None))  # fmt: skip
    if day.toordinal() % 7 == 0:
        out.append(record(f"{HK}BodyFatPercentage", f"{rng.uniform(0.2, 0.23):.3f}",
                          midnight + timedelta(hours=7), unit="%", source="Withings",
                          device=None))  # fmt: skip
        out.append(blood_pressure(rng.randint(110, 130), rng.randint(70, 85),
                                  midnight + timedelta(hours=8)))  # fmt: skip
    if day.toordinal() % 2 == 0:
        start = midnight + timedelta(hours=18, minutes=rng.randint(0, 30))
        end = start + timedelta(minutes=rng.randint(25, 60))
        out.append(workout("Running", start, end, energy_kcal=rng.uniform(250, 500),
                           distance_km=rng.uniform(4, 10), avg_hr=rng.uniform(140, 160),
                           max_hr=rng.uniform(170, 185),
                           route=f"/workout-routes/route_{day.isoformat()}_6.00pm.gpx"))  # fmt: skip
    out.append(record(f"{HK}DietaryWater", 250, midnight + timedelta(hours=12), unit="mL",
                      source="WaterMinder", device=None))  # fmt: skip
    out.append(activity_summary(day, round(rng.uniform(300, 700)), rng.randint(10, 60),
                                rng.randint(8, 14)))  # fmt: skip
    return out


def write_export(out: BinaryIO, *, target_bytes: int | None = None, days: int | None = None,
                 first_day: date = date(2019, 1, 1), seed: int = 1) -> ExportSummary:  # fmt: skip
    """Stream an export of ``days`` days, or of about ``target_bytes``, to ``out``."""
    if target_bytes is None and days is None:
        raise ValueError("give target_bytes or days")
    rng = random.Random(seed)
    summary = ExportSummary()
    head = opening(datetime.combine(first_day, time(9), ZONE) + timedelta(days=(days or 0) + 1))
    summary.bytes += out.write(head.encode())
    reserve = len(CLOSING)
    day = first_day
    while (days is None or summary.days < days) and (
        target_bytes is None or summary.bytes + reserve < target_bytes
    ):
        elements = _day(rng, day)
        summary.bytes += out.write("".join(elements).encode())
        summary.elements += len(elements)
        summary.days += 1
        day += timedelta(days=1)
    summary.bytes += out.write(CLOSING.encode())
    return summary
