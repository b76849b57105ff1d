"""Apple Health exports: content checks, the streaming parser, mapping, sleep and days, hostile XML."""

from __future__ import annotations

import io
import logging
import tracemalloc
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from fithub.plugins import (
    Activity,
    AppCredentials,
    BodyMeasurement,
    DailySummary,
    DataType,
    ProviderContext,
    Sample,
    SampleKind,
    SleepSession,
    validate_record,
)
from fithub.plugins.apple_health import AppleHealthProvider
from fithub.plugins.apple_health.const import HRV_SDNN, NO_SDNN_KIND
from fithub.plugins.apple_health.export import (
    ExportReader,
    ExportTooLarge,
    ExportUnreadable,
    NotAnExport,
    UnknownFormat,
    UnsafeExport,
    inspect_export,
    open_export,
)
from fithub.plugins.apple_health.mapping import apple_date
from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.testing.fakes import apple_health as fake
from fithub.plugins.testing.fakes.apple_health import HK, PHONE, WATCH
from fithub.plugins.types import PushRequest

EST = timezone(timedelta(hours=-5))
IST = timezone(timedelta(hours=5, minutes=30))


def at(day: int, hour: int, minute: int = 0, zone: timezone = EST) -> datetime:
    return datetime(2024, 1, day, hour, minute, tzinfo=zone)


def read(xml: bytes) -> tuple[list[object], ExportReader]:
    reader = ExportReader()
    return list(reader.records(io.BytesIO(xml))), reader


def of(records: list[object], kind: type) -> list:
    return [r for r in records if isinstance(r, kind)]


# -- dates and single records ---------------------------------------------------------------------


def test_apple_dates_keep_their_offset() -> None:
    moment = apple_date("2024-01-15 08:30:00 -0500")
    assert moment == datetime(2024, 1, 15, 13, 30, tzinfo=UTC)
    assert moment.utcoffset() == timedelta(hours=-5)
    assert apple_date("2024-07-01 23:59:59 +0530").utcoffset() == timedelta(hours=5, minutes=30)
    for bad in ("2024-01-15T08:30:00-05:00", "2024-01-15 08:30:00", "2024-13-15 08:30:00 -0500"):
        with pytest.raises(ValueError):
            apple_date(bad)


def test_quantities_become_samples_and_body_measurements_in_fithub_units() -> None:
    records, reader = read(fake.export_xml(
        fake.record(f"{HK}HeartRate", 72, at(15, 8, 30), unit="count/min",
                    metadata={"HKMetadataKeyHeartRateMotionContext": "2"}),
        fake.record(f"{HK}HeartRateVariabilitySDNN", "41.5", at(15, 3), unit="ms"),
        fake.record(f"{HK}OxygenSaturation", "0.96", at(15, 4), unit="%"),
        fake.record(f"{HK}RespiratoryRate", "15", at(15, 4), unit="count/min"),
        fake.record(f"{HK}BodyMass", "11", at(15, 7), unit="st"),
        fake.record(f"{HK}Height", "170", at(15, 7), unit="cm"),
        fake.record(f"{HK}BodyTemperature", "98.6", at(15, 7), unit="degF"),
        fake.record(f"{HK}BodyFatPercentage", "0.18", at(15, 7), unit="%"),
    ))  # fmt: skip
    samples = {s.kind: s for s in of(records, Sample)}
    assert samples[SampleKind.HEART_RATE].value == 72
    assert samples[SampleKind.HEART_RATE].context == "active"
    assert samples[SampleKind.HEART_RATE].time == at(15, 8, 30)
    assert SampleKind.HRV_RMSSD not in samples  # SDNN is never passed off as RMSSD
    if HRV_SDNN is not None:
        assert samples[HRV_SDNN].value == 41.5
        assert reader.stats.skipped == {}
    else:
        assert reader.stats.skipped == {NO_SDNN_KIND: 1}
    assert samples[SampleKind.SPO2].value == pytest.approx(96)
    assert samples[SampleKind.RESPIRATORY_RATE].value == 15
    body = {b.kind.value: b.value for b in of(records, BodyMeasurement)}
    assert body["weight"] == pytest.approx(69.85, abs=0.01)
    assert body["height"] == pytest.approx(1.70)
    assert body["body_temperature"] == pytest.approx(37.0)
    assert body["body_fat"] == pytest.approx(18.0)
    heart = samples[SampleKind.HEART_RATE]
    assert heart.raw["sourceName"] == WATCH and heart.raw["unit"] == "count/min"
    assert heart.raw["metadata"] == {"HKMetadataKeyHeartRateMotionContext": "2"}
    assert heart.source.device and "Apple Watch" in heart.source.device
    assert reader.stats.read == 8
    for record in records:
        validate_record(record, "apple_health")


def test_external_ids_are_stable_and_tell_records_apart() -> None:
    one = fake.record(f"{HK}HeartRate", 72, at(15, 8), unit="count/min")
    again, _ = read(fake.export_xml(one))
    first, _ = read(fake.export_xml(one))
    assert [r.source.external_id for r in first] == [r.source.external_id for r in again]
    other_value = fake.record(f"{HK}HeartRate", 73, at(15, 8), unit="count/min")
    other_source = fake.record(f"{HK}HeartRate", 72, at(15, 8), unit="count/min", source=PHONE)
    ids = {r.source.external_id for r in read(fake.export_xml(one, other_value, other_source))[0]}
    assert len(ids) == 3 and all(len(i) <= 128 for i in ids)


def test_unknown_types_units_and_values_are_skipped_with_reasons() -> None:
    records, reader = read(fake.export_xml(
        fake.record(f"{HK}DietaryWater", 250, at(15, 12), unit="mL"),
        fake.record(f"{HK}DietaryWater", 300, at(15, 13), unit="mL"),
        fake.record(f"{HK}HeartRate", 72, at(15, 8), unit="furlongs/min"),
        fake.record(f"{HK}HeartRate", "fast", at(15, 8), unit="count/min"),
        fake.record(f"{HK}HeartRate", 72, at(15, 8), unit="count/min")
        .replace("2024-01-15 08:00:00 -0500", "yesterday"),
        fake.record(f"{HK}HeartRate", 70, at(15, 9), unit="count/min"),
    ))  # fmt: skip
    assert len(records) == 1 and records[0].value == 70
    assert reader.stats.skipped == {
        "unsupported type DietaryWater": 2,
        "unsupported unit 'furlongs/min' for HeartRate": 1,
        "unreadable HeartRate": 2,
    }
    assert reader.stats.read == 6


# -- workouts, correlations, days -----------------------------------------------------------------


def test_workouts_read_statistics_or_the_older_attributes() -> None:
    records, _ = read(fake.export_xml(
        fake.workout("Running", at(15, 18), at(15, 18, 42), energy_kcal=410, distance_km=6.5,
                     avg_hr=151, max_hr=178, route="/workout-routes/route.gpx"),
        fake.workout("HighIntensityIntervalTraining", at(16, 7, zone=IST), at(16, 7, 30, IST),
                     energy_kcal=200, distance_km=1.2, statistics=False),
    ))  # fmt: skip
    run, hiit = of(records, Activity)
    assert (run.sport, run.calories_kcal, run.avg_heart_rate_bpm, run.max_heart_rate_bpm) == (
        "running", 410, 151, 178)  # fmt: skip
    assert run.distance_m == pytest.approx(6500)
    assert run.raw["duration_s"] == pytest.approx(42 * 60)
    assert run.raw["routes"] == ["/workout-routes/route.gpx"]
    assert run.raw["statistics"][0]["type"] == f"{HK}ActiveEnergyBurned"
    assert (hiit.sport, hiit.calories_kcal, hiit.distance_m) == ("hiit", 200, 1200)
    assert hiit.start.utcoffset() == timedelta(hours=5, minutes=30)


def test_blood_pressure_correlations_give_both_values() -> None:
    bp = fake.blood_pressure(124, 81, at(15, 7))
    records, reader = read(fake.export_xml(bp))
    assert sorted((b.kind.value, b.value) for b in records) == [
        ("diastolic", 81),
        ("systolic", 124),
    ]
    assert reader.stats.read == 2


def test_steps_and_distance_are_summed_per_local_day_from_the_busiest_source() -> None:
    records, reader = read(fake.export_xml(
        fake.record(f"{HK}StepCount", 3000, at(15, 9), at(15, 10), unit="count", source=PHONE),
        fake.record(f"{HK}StepCount", 2900, at(15, 9), at(15, 10), unit="count"),
        fake.record(f"{HK}StepCount", 500, at(15, 20), at(15, 20, 10), unit="count"),
        fake.record(f"{HK}DistanceWalkingRunning", "1.2", at(15, 9), at(15, 10), unit="mi"),
        fake.record(f"{HK}ActiveEnergyBurned", "300", at(15, 9), at(15, 10), unit="kcal"),
        fake.record(f"{HK}ActiveEnergyBurned", "418.4", at(15, 12), at(15, 13), unit="kJ"),
        fake.record(f"{HK}BasalEnergyBurned", "1600", at(15, 0), at(15, 23), unit="kcal"),
        fake.record(f"{HK}AppleExerciseTime", "25", at(15, 9), at(15, 9, 25), unit="min"),
        fake.record(f"{HK}RestingHeartRate", 58, at(15, 6), unit="count/min"),
        fake.record(f"{HK}RestingHeartRate", 56, at(15, 22), unit="count/min"),
        # 23:30 in New York on the 15th is the 16th in UTC: it stays on the 15th.
        fake.record(f"{HK}StepCount", 100, at(15, 23, 30), at(15, 23, 40), unit="count"),
        # 00:30 the next day in India is still the 15th in UTC: it goes on the 16th.
        fake.record(f"{HK}StepCount", 40, at(16, 0, 30, IST), at(16, 0, 40, IST), unit="count"),
    ))  # fmt: skip
    days = {d.day: d for d in of(records, DailySummary)}
    assert set(days) == {date(2024, 1, 15), date(2024, 1, 16)}
    day = days[date(2024, 1, 15)]
    assert day.steps == 3500  # the Watch's 2,900 + 500 + 100 beat the iPhone's 3,000
    assert day.raw["steps"] == {PHONE: 3000, WATCH: 3500} and day.raw["steps_source"] == WATCH
    assert day.distance_m == pytest.approx(1931.21, abs=0.01)
    assert day.active_calories_kcal == pytest.approx(400)
    assert day.total_calories_kcal == pytest.approx(2000)
    assert day.active_minutes == 25
    assert day.resting_heart_rate_bpm == 56  # the day's latest
    assert days[date(2024, 1, 16)].steps == 40
    assert day.source.external_id == "day:2024-01-15"
    assert reader.stats.aggregated == 10


def test_activity_summaries_give_the_ring_totals_of_their_day() -> None:
    records, _ = read(fake.export_xml(
        fake.record(f"{HK}ActiveEnergyBurned", "300", at(15, 9), at(15, 10), unit="kcal"),
        fake.record(f"{HK}StepCount", 1234, at(15, 9), at(15, 10), unit="count"),
        fake.activity_summary(date(2024, 1, 15), 512, 33, 10),
        fake.activity_summary(date(2024, 1, 17), 0, 0, 0),
    ))  # fmt: skip
    days = {d.day: d for d in of(records, DailySummary)}
    assert days[date(2024, 1, 15)].active_calories_kcal == 512
    assert days[date(2024, 1, 15)].active_minutes == 33 and days[date(2024, 1, 15)].steps == 1234
    assert days[date(2024, 1, 15)].raw["activity_summary"]["stand_hours"] == 10
    assert days[date(2024, 1, 17)].steps is None


# -- sleep ----------------------------------------------------------------------------------------


def test_sleep_samples_become_sessions_with_stages() -> None:
    records, reader = read(fake.export_xml(
        fake.sleep("InBed", at(14, 22, 40), at(15, 6, 50), source=PHONE),
        fake.sleep("AsleepCore", at(14, 23, 5), at(15, 1)),
        fake.sleep("AsleepDeep", at(15, 1), at(15, 1, 45)),
        fake.sleep("Awake", at(15, 1, 45), at(15, 1, 50)),
        fake.sleep("AsleepREM", at(15, 1, 50), at(15, 3)),
        fake.sleep("AsleepCore", at(15, 3), at(15, 6, 30)),
        # An afternoon nap, and the next night (stages without detail, an older Watch).
        fake.sleep("AsleepUnspecified", at(15, 14), at(15, 14, 40)),
        fake.sleep("Asleep", at(15, 23), at(16, 3)),
        fake.sleep("Asleep", at(16, 3, 30), at(16, 7)),  # 30 min apart: the same night
    ))  # fmt: skip
    night, nap, older = sorted(of(records, SleepSession), key=lambda s: s.start)
    assert night.start == at(14, 23, 5) and night.end == at(15, 6, 30)
    assert night.day == date(2024, 1, 15) and not night.is_nap
    assert [s.stage.value for s in night.stages] == ["light", "deep", "awake", "rem", "light"]
    assert night.deep_s == 2700 and night.rem_s == 4200 and night.awake_s == 300
    assert night.light_s == 115 * 60 + 210 * 60
    assert night.asleep_s == night.deep_s + night.rem_s + night.light_s
    assert night.efficiency == pytest.approx(100 * night.asleep_s / (7 * 3600 + 25 * 60))
    assert night.raw["other_sources"] == [PHONE] and night.raw["source"] == WATCH
    assert nap.is_nap and nap.asleep_s == 2400 and nap.deep_s is None
    assert (
        older.end == at(16, 7) and older.asleep_s == 7.5 * 3600 and older.day == date(2024, 1, 16)
    )
    assert reader.stats.skipped == {"sleep of another source overlapping a more detailed one": 1}
    assert len({s.source.external_id for s in (night, nap, older)}) == 3


def test_in_bed_time_alone_is_a_session_with_latency_when_stages_follow() -> None:
    records, _ = read(fake.export_xml(
        fake.sleep("InBed", at(14, 22), at(15, 6), source="AutoSleep"),
        fake.sleep("Asleep", at(14, 22, 20), at(15, 5, 50), source="AutoSleep"),
    ))  # fmt: skip
    (night,) = records
    assert night.latency_s == 1200 and night.asleep_s == 7.5 * 3600
    assert night.efficiency == pytest.approx(93.75)


# -- files: zip or XML, decided by content --------------------------------------------------------


def write(tmp_path: Path, content: bytes, name: str = "upload.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_a_zip_is_recognised_by_content_and_its_member_streamed(tmp_path: Path) -> None:
    xml = fake.export_xml(fake.record(f"{HK}HeartRate", 72, at(15, 8), unit="count/min"))
    path = write(tmp_path, fake.export_zip(xml), "photo.jpg")
    info = inspect_export(path)
    assert (info.format, info.member, info.xml_bytes, info.locale) == (
        "zip", "apple_health_export/export.xml", len(xml), "en_US")  # fmt: skip
    with open_export(path, info) as stream:
        assert isinstance(stream, zipfile.ZipExtFile)  # decompressed as read, not extracted
        assert len(list(ExportReader().records(stream))) == 1
    localised = write(tmp_path, fake.export_zip(xml, member="apple_health_export/导出.xml"))
    assert inspect_export(localised).member == "apple_health_export/导出.xml"
    plain = inspect_export(write(tmp_path, b"\xef\xbb\xbf" + xml, "export.zip"))
    assert (plain.format, plain.member) == ("xml", None)


@pytest.mark.parametrize(("content", "error", "message"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(100), UnknownFormat, "neither a zip archive nor an XML"),
    (b"", UnknownFormat, "empty"),
    (b"<?xml version='1.0'?><gpx/>", NotAnExport, "<gpx>"),
    (b"<not xml", NotAnExport, "not well-formed"),
    (b"PK\x03\x04garbage", ExportUnreadable, "damaged"),
    (fake.export_zip(fake.GPX), NotAnExport, "no Apple Health export.xml"),
])  # fmt: skip
def test_files_that_are_not_exports_are_refused(tmp_path: Path, content: bytes,
                                                error: type, message: str) -> None:  # fmt: skip
    with pytest.raises(error, match=message):
        inspect_export(write(tmp_path, content))


def test_size_limits_count_the_uncompressed_xml(tmp_path: Path) -> None:
    xml = fake.export_xml(*[fake.record(f"{HK}HeartRate", 60, at(15, 8) + timedelta(minutes=i),
                                        unit="count/min") for i in range(100)])  # fmt: skip
    path = write(tmp_path, fake.export_zip(xml))
    with pytest.raises(ExportTooLarge):
        inspect_export(path, max_xml_bytes=len(xml) - 1)
    reader = ExportReader(max_xml_bytes=len(xml) // 2)  # a member that lies about its size
    with pytest.raises(ExportTooLarge), open_export(path, inspect_export(path)) as stream:
        list(reader.records(stream))


# -- hostile and broken XML -----------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE HealthData [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<HealthData locale="en_US"><Record type="&lol9;" sourceName="x" startDate="" endDate=""/></HealthData>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE HealthData [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<HealthData locale="en_US"><Record type="&xxe;"/></HealthData>
"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE HealthData [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<HealthData locale="en_US"/>
"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE HealthData SYSTEM "http://127.0.0.1:9/healthdata.dtd">
<HealthData locale="en_US"/>
"""


@pytest.mark.parametrize("hostile", [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY,
                                     EXTERNAL_DTD])  # fmt: skip
def test_entities_and_external_references_are_refused(tmp_path: Path, hostile: bytes) -> None:
    with pytest.raises(UnsafeExport, match="never declare entities"):
        inspect_export(write(tmp_path, hostile))
    with pytest.raises(UnsafeExport):
        inspect_export(write(tmp_path, fake.export_zip(hostile), "e.zip"))
    with pytest.raises(UnsafeExport):  # the job's parser refuses it too, not only the upload
        read(hostile)


def test_the_dtd_apple_writes_is_accepted() -> None:
    records, _ = read(fake.export_xml(fake.record(f"{HK}HeartRate", 60, at(15, 8),
                                                  unit="count/min")))  # fmt: skip
    assert len(records) == 1
    assert b"<!ATTLIST Record" in fake.export_xml()


def test_a_cut_short_export_fails_clearly_after_its_complete_records() -> None:
    xml = fake.export_xml(fake.record(f"{HK}HeartRate", 60, at(15, 8), unit="count/min"),
                          fake.record(f"{HK}HeartRate", 61, at(15, 9), unit="count/min"))  # fmt: skip
    cut = xml[: xml.rindex(b"<Record") + 30]
    reader = ExportReader()
    seen: list[object] = []
    with pytest.raises(ExportUnreadable, match="cut short"):
        seen.extend(reader.records(io.BytesIO(cut)))
    assert [r.value for r in seen] == [60]
    with pytest.raises(ExportUnreadable, match="not well-formed"):
        read(xml.replace(b"</HealthData>", b"</HealthData><oops/>"))


def test_vertical_tabs_of_older_exports_are_read_as_spaces() -> None:
    xml = fake.export_xml(fake.record(f"{HK}HeartRate", 60, at(15, 8), unit="count/min",
                                      source="Old\x0bPhone", device=None))  # fmt: skip
    (record,), _ = read(xml)
    assert record.raw["sourceName"] == "Old Phone"


def test_memory_stays_flat_however_long_the_export(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    with path.open("wb") as out:
        summary = fake.write_export(out, days=40)
    assert summary.bytes > 20_000_000
    tracemalloc.start()
    try:
        reader = ExportReader()
        with path.open("rb") as stream:
            records = sum(1 for _ in reader.records(stream))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert records > 10_000
    assert reader.stats.read >= summary.elements  # a correlation's records count one by one
    assert peak < 12_000_000, f"peak {peak} bytes for a {summary.bytes}-byte export"


# -- the provider ---------------------------------------------------------------------------------


def provider() -> AppleHealthProvider:
    credentials = AppCredentials("", "", "http://x/cb")
    return AppleHealthProvider(ProviderContext(None, credentials, logging.getLogger("t")))  # type: ignore[arg-type]


async def test_there_is_nothing_to_sign_in_to_fetch_or_receive() -> None:
    apple = provider()
    assert AppleHealthProvider.auth_kind == "file_import"
    with pytest.raises(ProviderError, match="no cloud API"):
        await apple.fetch_page(None, None)  # type: ignore[arg-type]
    with pytest.raises(ProviderError, match="no webhooks"):
        await apple.handle_push(PushRequest("POST", {}, {}, b"{}"))
    with pytest.raises(ProviderError, match="no sign-in"):
        await apple.authorization_url(None)  # type: ignore[arg-type]


def test_pushed_items_are_normalised_one_by_one_and_in_batches() -> None:
    uuid = "5D0C3B9E-1D2B-4C8A-9B7E-0A1B2C3D4E5F"
    item = {"uuid": uuid, "type": f"{HK}HeartRate", "start": "2024-01-15T08:30:00-05:00",
            "value": 1.2, "unit": "count/s", "source": WATCH}  # fmt: skip
    (sample,) = provider().normalise(DataType.HEART_RATE, item)
    assert sample.value == pytest.approx(72) and sample.source.external_id == f"hk:{uuid.lower()}"
    with pytest.raises(ProviderMalformedResponse, match="start"):
        provider().normalise(DataType.HEART_RATE, {**item, "start": "2024-01-15T08:30:00"})
    assert provider().normalise(DataType.HEART_RATE, {**item, "type": f"{HK}DietaryWater"}) == []
    night = [
        {"uuid": "00000000-0000-4000-8000-00000000000" + str(i), "source": WATCH,
         "type": "HKCategoryTypeIdentifierSleepAnalysis", "value": value,
         "start": f"2024-01-15T0{i}:00:00+01:00", "end": f"2024-01-15T0{i + 1}:00:00+01:00"}
        for i, value in enumerate((3, 4, "HKCategoryValueSleepAnalysisAsleepREM", 2.0))
    ]  # fmt: skip
    outcome = AppleHealthProvider.normalise_batch([*night, {**item, "unit": "bpm"}])
    assert outcome.errors == [(4, "unit", "must be one of count/min, count/s for "
                                         f"{HK}HeartRate")]  # fmt: skip
    (session,) = outcome.records
    assert [s.stage.value for s in session.stages] == ["light", "deep", "rem", "awake"]
    assert session.raw["samples"][0][3] == night[0]["uuid"]
