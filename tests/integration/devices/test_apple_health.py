"""Apple Health through a real server: export uploads and their import job, pushed batches."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from fithub.plugins.apple_health.const import HRV_SDNN, NO_SDNN_KIND
from fithub.plugins.testing.fakes import apple_health as fake
from fithub.plugins.testing.fakes.apple_health import HK, PHONE, WATCH
from tests.conftest import Account, sign_up
from tests.integration.devices.world import device_server, devices, read_all
from tests.support import FithubServer

BASE = "/api/v1/devices/apple_health"
MAX_UPLOAD = 3 * 1024 * 1024
EST = timezone(timedelta(hours=-5))
CET = timezone(timedelta(hours=1))
FINISHED = {"succeeded", "failed"}


@pytest.fixture(scope="module")
def server() -> Iterator[FithubServer]:
    with device_server(FITHUB_APPLE_HEALTH_IMPORT_MAX_BYTES=str(MAX_UPLOAD)) as srv:
        yield srv


def at(day: int, hour: int, minute: int = 0, zone: timezone = EST) -> datetime:
    return datetime(2024, 1, day, hour, minute, tzinfo=zone)


def export() -> bytes:
    """Two days in New York and one in Paris, every kind of element fithub reads."""
    elements = [
        fake.record(f"{HK}HeartRate", 72, at(15, 8, 30), unit="count/min",
                    metadata={"HKMetadataKeyHeartRateMotionContext": "1"}),
        fake.record(f"{HK}HeartRate", "1.5", at(15, 8, 31), unit="count/s"),  # 90 bpm
        fake.record(f"{HK}RestingHeartRate", 55, at(15, 23), unit="count/min"),
        fake.record(f"{HK}HeartRateVariabilitySDNN", "48.25", at(15, 3), at(15, 3, 1), unit="ms"),
        fake.record(f"{HK}OxygenSaturation", "0.97", at(15, 4), unit="%"),
        fake.record(f"{HK}RespiratoryRate", "14.5", at(15, 4), unit="count/min"),
        fake.record(f"{HK}BodyMass", "165", at(15, 7), unit="lb", source="Withings", device=None),
        fake.record(f"{HK}BodyFatPercentage", "0.215", at(15, 7), unit="%", source="Withings"),
        fake.blood_pressure(121, 79, at(15, 7, 30)),
        # Steps: the iPhone and the Watch count the same walk; the larger total wins.
        fake.record(f"{HK}StepCount", 4000, at(15, 9), at(15, 10), unit="count", source=PHONE),
        fake.record(f"{HK}StepCount", 1000, at(15, 12), at(15, 13), unit="count", source=PHONE),
        fake.record(f"{HK}StepCount", 4600, at(15, 9), at(15, 10), unit="count"),
        fake.record(f"{HK}DistanceWalkingRunning", "3.2", at(15, 9), at(15, 10), unit="km"),
        fake.record(f"{HK}BasalEnergyBurned", 1500, at(15, 0), at(15, 23, 59), unit="kcal"),
        # The night of the 14th to the 15th: the iPhone's bed time, the Watch's stages.
        fake.sleep("InBed", at(14, 22, 45), at(15, 6, 45), source=PHONE),
        fake.sleep("AsleepCore", at(14, 23), at(15, 1)),
        fake.sleep("AsleepDeep", at(15, 1), at(15, 2)),
        fake.sleep("AsleepREM", at(15, 2), at(15, 3)),
        fake.sleep("Awake", at(15, 3), at(15, 3, 10)),
        fake.sleep("AsleepCore", at(15, 3, 10), at(15, 6, 30)),
        fake.workout("Running", at(15, 18), at(15, 18, 40), energy_kcal=410, distance_km=6.5,
                     avg_hr=151, max_hr=178, route="/workout-routes/route_2024-01-15_6.00pm.gpx"),
        fake.workout("TraditionalStrengthTraining", at(16, 7, zone=CET), at(16, 8, zone=CET),
                     energy_kcal=200, statistics=False),
        fake.activity_summary(at(15, 0).date(), 520, 42, 11),
        fake.record(f"{HK}StepCount", 800, at(16, 23, 30, CET), at(16, 23, 50, CET), unit="count"),
        fake.record(f"{HK}DietaryWater", 250, at(15, 12), unit="mL", source="WaterMinder"),
    ]  # fmt: skip
    return fake.export_xml(*elements)


async def upload(api: httpx.AsyncClient, user: Account, body: bytes, *, raw: bool = False,
                 name: str = "upload.bin", content_type: str = "application/octet-stream",
                 ) -> httpx.Response:  # fmt: skip
    if raw:
        headers = {**user.auth, "Content-Type": content_type}
        return await api.post(f"{BASE}/imports", headers=headers, content=body)
    files = {"file": (name, body, content_type)}
    return await api.post(f"{BASE}/imports", headers=user.auth, files=files)


async def wait_import(api: httpx.AsyncClient, user: Account, import_id: int,
                      within_s: float = 60) -> dict[str, Any]:  # fmt: skip
    deadline = time.monotonic() + within_s
    while True:
        response = await api.get(f"{BASE}/imports/{import_id}", headers=user.auth)
        assert response.status_code == 200, response.text
        body = dict(response.json())
        if body["status"] in FINISHED:
            return body
        assert time.monotonic() < deadline, body
        await asyncio.sleep(0.1)


async def imported(api: httpx.AsyncClient, user: Account, body: bytes, **kw: Any) -> dict[str, Any]:
    response = await upload(api, user, body, **kw)
    assert response.status_code == 202, response.text
    assert response.headers["Location"].endswith(f"/imports/{response.json()['id']}")
    return await wait_import(api, user, response.json()["id"])


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = dict(response.json())
    assert body["code"] == code, body
    return body


async def nothing_stored(api: httpx.AsyncClient, user: Account) -> None:
    for path, params in (("/api/v1/samples", {}), ("/api/v1/daily", {}), ("/api/v1/sleep", {}),
                         ("/api/v1/activity", {}), ("/api/v1/body", {})):  # fmt: skip
        assert await read_all(api, user, path, **params) == [], path
    listed = await api.get(f"{BASE}/imports", headers=user.auth)
    assert listed.json()["items"] == []
    assert not [c for c in (await devices(api, user))["connections"]
                if c["provider"] == "apple_health"]  # fmt: skip


# -- the export -----------------------------------------------------------------------------------


async def test_an_uploaded_export_zip_is_imported_and_reads_back(api, user: Account,
                                                                 other_user: Account) -> None:  # fmt: skip
    done = await imported(api, user, fake.export_zip(export()), name="my-health.dat")
    assert done["status"] == "succeeded", done
    assert done["file_format"] == "zip" and done["progress"] == 1.0
    sdnn = {} if HRV_SDNN is not None else {NO_SDNN_KIND: 1}
    assert done["skipped_reasons"] == {
        "unsupported type DietaryWater": 1,
        "sleep of another source overlapping a more detailed one": 1,
        **sdnn,
    }
    assert (
        done["records_read"] == 26
    )  # 23 records (2 inside the correlation), 2 workouts, 1 summary
    assert done["inserted"] == 15 - len(sdnn) and done["updated"] == 0 and done["error"] == ""
    assert done["export_date"].startswith("2024-01-20T15:00:00")

    heart = await read_all(api, user, "/api/v1/samples", kind="heart_rate", order="asc")
    assert [(h["value"], h["context"]) for h in heart] == [(72, "rest"), (90, None), (55, "rest")]
    assert heart[0]["time"].startswith("2024-01-15T13:30:00")  # 08:30 -05:00, in UTC
    assert heart[0]["provider"] == "apple_health" and heart[0]["external_id"].startswith("x")
    assert await read_all(api, user, "/api/v1/samples", kind="hrv_rmssd") == []  # SDNN is not RMSSD
    if HRV_SDNN is not None:
        (hrv,) = await read_all(api, user, "/api/v1/samples", kind="hrv_sdnn")
        assert hrv["value"] == 48.25 and hrv["unit"] == "ms"
    (spo2,) = await read_all(api, user, "/api/v1/samples", kind="spo2")
    assert spo2["value"] == pytest.approx(97)
    (breaths,) = await read_all(api, user, "/api/v1/samples", kind="respiratory_rate")
    assert breaths["value"] == 14.5

    body = {b["kind"]: b["value"] for b in await read_all(api, user, "/api/v1/body")}
    assert body["weight"] == pytest.approx(74.84, abs=0.01)
    assert body["body_fat"] == pytest.approx(21.5)
    assert (body["systolic"], body["diastolic"]) == (121, 79)

    days = {d["day"]: d for d in await read_all(api, user, "/api/v1/daily", include_raw="true")}
    assert set(days) == {"2024-01-15", "2024-01-16"}
    day = days["2024-01-15"]
    assert day["steps"] == 5000  # the iPhone's 5,000 beat the Watch's 4,600
    assert day["raw"]["steps"] == {PHONE: 5000, WATCH: 4600}
    assert day["distance_m"] == pytest.approx(3200)
    assert day["active_calories_kcal"] == 520 and day["active_minutes"] == 42  # Activity rings
    assert day["total_calories_kcal"] == 2020 and day["resting_heart_rate_bpm"] == 55
    assert days["2024-01-16"]["steps"] == 800  # 23:30 in Paris is the 16th there

    (night,) = await read_all(api, user, "/api/v1/sleep")
    assert night["start_time"].startswith("2024-01-15T04:00:00")  # the Watch's first stage
    assert night["day"] == "2024-01-15" and not night["is_nap"]
    assert [s["stage"] for s in night["stages"]] == ["light", "deep", "rem", "awake", "light"]
    assert night["deep_s"] == 3600 and night["rem_s"] == 3600 and night["awake_s"] == 600
    assert night["asleep_s"] == 7 * 3600 + 1200

    runs = await read_all(api, user, "/api/v1/activity", order="asc", include_raw="true")
    assert [(a["sport"], a["calories_kcal"]) for a in runs] == [
        ("running", 410), ("strength_training", 200)]  # fmt: skip
    assert runs[0]["distance_m"] == pytest.approx(6500) and runs[0]["max_heart_rate_bpm"] == 178
    assert runs[0]["raw"]["routes"] == ["/workout-routes/route_2024-01-15_6.00pm.gpx"]
    assert runs[1]["start_time"].startswith("2024-01-16T06:00:00")

    listing = await devices(api, user)
    (connection,) = [c for c in listing["connections"] if c["provider"] == "apple_health"]
    assert connection["status"] == "connected" and connection["next_sync_at"] is None
    assert connection["last_sync_status"] == "succeeded"
    (provider,) = [p for p in listing["providers"] if p["name"] == "apple_health"]
    assert provider["auth_kind"] == "file_import" and provider["supported"]
    assert provider["configured"]

    # Somebody else sees none of it.
    assert (
        await api.get(f"{BASE}/imports/{done['id']}", headers=other_user.auth)
    ).status_code == 404
    await nothing_stored(api, other_user)


async def test_importing_the_same_export_again_adds_nothing(api, user: Account) -> None:
    xml = export()
    first = await imported(api, user, fake.export_zip(xml))
    again = await imported(api, user, xml, raw=True, content_type="application/xml")
    assert again["status"] == "succeeded" and again["file_format"] == "xml"
    assert (again["inserted"], again["updated"]) == (0, 0)
    assert again["unchanged"] == first["inserted"]
    assert len(await read_all(api, user, "/api/v1/samples", kind="heart_rate")) == 3
    page = await api.get(f"{BASE}/imports", headers=user.auth, params={"limit": 1})
    assert [i["id"] for i in page.json()["items"]] == [again["id"]]
    rest = await api.get(f"{BASE}/imports", headers=user.auth,
                         params={"limit": 1, "cursor": page.json()["next_cursor"]})  # fmt: skip
    assert [i["id"] for i in rest.json()["items"]] == [first["id"]]


async def test_a_cut_short_export_fails_and_keeps_what_was_stored(api, user: Account) -> None:
    xml = export()
    await imported(api, user, xml, raw=True)
    before = await read_all(api, user, "/api/v1/samples", kind="heart_rate")
    cut = xml[: xml.index(b"<Workout")] + b'<Record type="HKQuantityTypeIdentifierHeart'
    failed = await imported(api, user, fake.export_zip(cut))
    assert failed["status"] == "failed"
    assert "cut short" in failed["error"], failed["error"]
    assert await read_all(api, user, "/api/v1/samples", kind="heart_rate") == before
    assert len(await read_all(api, user, "/api/v1/activity")) == 2
    listing = await devices(api, user)
    (connection,) = [c for c in listing["connections"] if c["provider"] == "apple_health"]
    assert connection["last_sync_status"] == "failed" and "cut short" in connection["last_error"]


async def test_files_that_are_not_health_exports_are_refused(api, user: Account) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(200)
    problem(await upload(api, user, png, name="export.zip", content_type="application/zip"),
            415, "unsupported_export")  # fmt: skip
    problem(await upload(api, user, png, raw=True), 415, "unsupported_export")
    gpx_only = fake.export_zip(fake.GPX, member="apple_health_export/export.xml")
    body = problem(await upload(api, user, gpx_only), 422, "not_health_export")
    assert "no Apple Health export" in body["detail"]
    other_xml = b'<?xml version="1.0"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3"/>\n'
    problem(await upload(api, user, other_xml, raw=True), 422, "not_health_export")
    problem(await upload(api, user, b"PK\x03\x04 not really a zip"), 422, "unreadable_export")
    problem(await upload(api, user, b""), 422, "empty_upload")
    too_big = b"<?xml" + bytes(MAX_UPLOAD)
    problem(await upload(api, user, too_big, raw=True), 413, "export_too_large")
    await nothing_stored(api, user)


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE HealthData [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<HealthData locale="en_US"><ExportDate value="&lol3;"/></HealthData>
"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE HealthData [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<HealthData locale="en_US"><Record type="&secret;"/></HealthData>
"""


async def test_xml_bombs_and_external_entities_are_refused(api, user: Account) -> None:
    for hostile in (BOMB, XXE):
        body = problem(await upload(api, user, fake.export_zip(hostile)), 422, "unsafe_xml")
        assert "declares an entity" in body["detail"]
        problem(await upload(api, user, hostile, raw=True), 422, "unsafe_xml")
    await nothing_stored(api, user)


# -- the phone app's batch ------------------------------------------------------------------------


def item(type_name: str, value: Any, start: str, **extra: Any) -> dict[str, Any]:
    return {"uuid": str(uuid.uuid4()).upper(), "type": type_name, "start": start, "value": value,
            "source": WATCH, **extra}  # fmt: skip


def batch() -> list[dict[str, Any]]:
    return [
        item(f"{HK}HeartRate", 64, "2024-02-01T07:00:00+01:00", unit="count/min",
             metadata={"HKMetadataKeyHeartRateMotionContext": 1}),
        item(f"{HK}HeartRateVariabilitySDNN", 52.5, "2024-02-01T03:00:00+01:00", unit="ms"),
        item(f"{HK}StepCount", 420, "2024-02-01T08:00:00+01:00", unit="count",
             end="2024-02-01T08:10:00+01:00"),
        item(f"{HK}BodyMass", 61.2, "2024-02-01T07:05:00+01:00", unit="kg"),
        item("HKCategoryTypeIdentifierSleepAnalysis", "HKCategoryValueSleepAnalysisAsleepCore",
             "2024-01-31T23:30:00+01:00", end="2024-02-01T02:00:00+01:00"),
        item("HKCategoryTypeIdentifierSleepAnalysis", 4, "2024-02-01T02:00:00+01:00",
             end="2024-02-01T03:00:00+01:00"),
        item("HKWorkoutTypeIdentifier", None, "2024-02-01T18:00:00+01:00",
             end="2024-02-01T18:45:00+01:00", activity_type="HKWorkoutActivityTypeCycling",
             total_energy_kcal=380, total_distance_m=15000),
        item(f"{HK}DietaryCaffeine", 95, "2024-02-01T09:00:00+01:00", unit="mg"),
    ]  # fmt: skip


async def test_a_phone_app_pushes_samples_idempotently(api, user: Account,
                                                       other_user: Account) -> None:  # fmt: skip
    records = batch()
    first = await api.post(f"{BASE}/batch", headers=user.auth, json={"records": records})
    assert first.status_code == 200, first.text
    sdnn = {} if HRV_SDNN is not None else {NO_SDNN_KIND: 1}
    made = 6 - len(sdnn)
    assert first.json() == {"received": 8, "records": made, "inserted": made, "updated": 0,
                            "unchanged": 0, "skipped": 1 + len(sdnn),
                            "skipped_reasons": {"unsupported type DietaryCaffeine": 1, **sdnn}}  # fmt: skip
    again = await api.post(f"{BASE}/batch", headers=user.auth, json={"records": records})
    assert (again.json()["inserted"], again.json()["unchanged"]) == (0, made)

    (heart,) = await read_all(api, user, "/api/v1/samples", kind="heart_rate")
    assert heart["external_id"] == f"hk:{records[0]['uuid'].lower()}"
    assert heart["value"] == 64 and heart["context"] == "rest"
    (steps,) = await read_all(api, user, "/api/v1/samples", kind="steps")
    assert steps["value"] == 420
    (night,) = await read_all(api, user, "/api/v1/sleep")
    assert [s["stage"] for s in night["stages"]] == ["light", "deep"]
    (ride,) = await read_all(api, user, "/api/v1/activity")
    assert ride["sport"] == "cycling" and ride["distance_m"] == 15000
    (weight,) = await read_all(api, user, "/api/v1/body", kind="weight")
    assert weight["value"] == 61.2
    connection = [c for c in (await devices(api, user))["connections"]
                  if c["provider"] == "apple_health"]  # fmt: skip
    assert connection and connection[0]["status"] == "connected"
    await nothing_stored(api, other_user)


async def test_a_batch_with_bad_records_stores_nothing_and_names_the_fields(api) -> None:
    user = await sign_up(api)
    records = batch()
    records[0]["uuid"] = "not-a-uuid"
    records[1]["start"] = "2024-02-01T03:00:00"  # no offset
    records[2]["unit"] = "furlongs"
    records[4]["value"] = "HKCategoryValueSleepAnalysisDaydreaming"
    response = await api.post(f"{BASE}/batch", headers=user.auth, json={"records": records})
    body = problem(response, 422, "validation_failed")
    assert {e["field"] for e in body["errors"]} >= {"records.0.uuid", "records.1.start"}
    records[0]["uuid"], records[1]["start"] = str(uuid.uuid4()), "2024-02-01T03:00:00+01:00"
    response = await api.post(f"{BASE}/batch", headers=user.auth, json={"records": records})
    body = problem(response, 422, "validation_failed")
    assert {e["field"] for e in body["errors"]} == {"records.2.unit", "records.4.value"}
    too_many = [batch()[0] | {"uuid": str(uuid.uuid4())} for _ in range(1001)]
    response = await api.post(f"{BASE}/batch", headers=user.auth, json={"records": too_many})
    body = problem(response, 422, "validation_failed")
    assert body["errors"][0]["field"] == "records"
    await nothing_stored(api, user)


# -- what the OAuth routes say ---------------------------------------------------------------------


async def test_there_is_no_sign_in_and_nothing_to_sync(api, user: Account) -> None:
    body = problem(await api.post(f"{BASE}/connect", headers=user.auth), 422, "no_sign_in")
    assert "uploaded or pushed" in body["detail"]
    problem(await api.post(f"{BASE}/sync", headers=user.auth), 422, "no_sign_in")
    problem(await api.get(f"{BASE}/callback", params={"state": "x", "code": "y"}), 422,
            "no_sign_in")  # fmt: skip
    unauthenticated = await api.post(f"{BASE}/batch", json={"records": batch()})
    assert unauthenticated.status_code == 401
