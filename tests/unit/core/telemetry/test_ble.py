"""BLE GATT payload parsers, built from the Bluetooth SIG field layouts (reference §6).

Every payload is either a worked example of the reference or packed here with ``struct`` from the
layout (``<`` = little-endian: B u8, H u16, h s16, I u32), so each expectation follows from the spec.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable

import pytest

from fithub.core.telemetry.ble import (
    BodySensorLocation,
    CscMeasurement,
    CyclingPowerMeasurement,
    HeartRateMeasurement,
    PayloadError,
    RevolutionData,
    RscMeasurement,
    crank_cadence_rpm,
    decode,
    parse_body_sensor_location,
    parse_csc,
    parse_cycling_power,
    parse_heart_rate,
    parse_rsc,
    revolutions_per_second,
    short_uuid,
    wheel_speed_mps,
)

# ---------------------------------------------------------------- worked examples of the reference


def test_heart_rate_example_a_uint8_contact_two_rr() -> None:
    # 16 = u8 rate, contact supported and detected (bits 1-2 = 3), RR present (bit 4).
    # 0x48 = 72 bpm; RR 0x0400 = 1024/1024 s = 1000 ms, 0x041E = 1054 -> 1054000/1024 = 1029.296875 ms
    hr = parse_heart_rate(bytes.fromhex("16 48 00 04 1E 04"))
    assert hr == HeartRateMeasurement(0x16, 72, True, None, (1000.0, 1029.296875))


def test_heart_rate_example_b_uint16_energy_one_rr() -> None:
    # 19 = u16 rate, contact not supported, energy (bit 3), RR; 0x0096 = 150, 0x012C = 300 kJ,
    # RR 0x02D0 = 720 -> 720000/1024 = 703.125 ms
    hr = parse_heart_rate(bytes.fromhex("19 96 00 2C 01 D0 02"))
    assert hr == HeartRateMeasurement(0x19, 150, None, 300, (703.125,))


def test_cycling_power_example() -> None:
    # flags 0x0031: balance, wheel, crank. 0x00FA = 250 W; balance 100 * 0.5 = 50.0 %;
    # wheel 0x000003E8 = 1000 revs at 0x0800 = 2048/2048 s; crank 0x0032 = 50 at 0x0400 = 1024/1024 s
    cp = parse_cycling_power(bytes.fromhex("31 00 FA 00 64 E8 03 00 00 00 08 32 00 00 04"))
    assert cp.flags == 0x31 and cp.power_w == 250 and cp.pedal_power_balance_pct == 50.0
    assert cp.wheel == RevolutionData(1000, 2048, 2048, 2**32)
    assert cp.crank == RevolutionData(50, 1024, 1024, 2**16)
    assert cp.wheel.event_time_s == 1.0 and cp.crank.event_time_s == 1.0
    assert cp.accumulated_torque_nm is None and cp.accumulated_energy_kj is None
    assert not cp.balance_reference_left and not cp.torque_source_crank


def test_rsc_example() -> None:
    # 07: stride, distance, running. 0x0300 = 768/256 = 3.0 m/s, 0xB4 = 180/min,
    # stride 0x0064 = 100/100 = 1.0 m, distance 0x000003E8 = 1000/10 = 100.0 m
    rsc = parse_rsc(bytes.fromhex("07 00 03 B4 64 00 E8 03 00 00"))
    assert rsc == RscMeasurement(7, 3.0, 180, 1.0, 100.0, True)


def test_csc_example() -> None:
    # 03: wheel and crank. wheel 1000 revs at 0x0400 = 1024/1024 s; crank 50 at 0x0800 = 2.0 s
    csc = parse_csc(bytes.fromhex("03 E8 03 00 00 00 04 32 00 00 08"))
    assert csc == CscMeasurement(
        3, RevolutionData(1000, 1024, 1024, 2**32), RevolutionData(50, 2048, 1024, 2**16)
    )
    assert csc.crank is not None and csc.crank.event_time_s == 2.0


def test_body_sensor_location() -> None:
    assert parse_body_sensor_location(b"\x01") == BodySensorLocation(1, "chest")
    assert parse_body_sensor_location(b"\x06") == BodySensorLocation(6, "foot")
    assert parse_body_sensor_location(b"\x07") == BodySensorLocation(7, "reserved")


# ---------------------------------------------------------------- heart rate layout


@pytest.mark.parametrize("bpm", [0, 1, 72, 255])
def test_heart_rate_uint8_edges(bpm: int) -> None:
    assert parse_heart_rate(struct.pack("<BB", 0x00, bpm)).bpm == bpm


@pytest.mark.parametrize("bpm", [0, 255, 256, 300, 65535])
def test_heart_rate_uint16_edges(bpm: int) -> None:
    assert parse_heart_rate(struct.pack("<BH", 0x01, bpm)).bpm == bpm


@pytest.mark.parametrize(
    ("contact_bits", "expected"), [(0, None), (1, None), (2, False), (3, True)]
)
def test_each_sensor_contact_state(contact_bits: int, expected: bool | None) -> None:
    # bits 1-2: 0/1 not supported, 2 supported but not detected, 3 supported and detected
    assert parse_heart_rate(struct.pack("<BB", contact_bits << 1, 60)).contact is expected


@pytest.mark.parametrize("energy", [0, 1, 300, 65535])
def test_energy_expended_present(energy: int) -> None:
    hr = parse_heart_rate(struct.pack("<BBH", 0x08, 60, energy))
    assert (hr.energy_kj, hr.rr_ms) == (energy, ())


def test_energy_expended_absent_and_no_rr() -> None:
    hr = parse_heart_rate(struct.pack("<BB", 0x00, 60))
    assert (hr.energy_kj, hr.rr_ms, hr.contact) == (None, (), None)


@pytest.mark.parametrize("count", [1, 2, 3, 9])
def test_n_rr_intervals_in_order(count: int) -> None:
    raw = [512 + 100 * i for i in range(count)]  # 512/1024 s = 500 ms, then +97.65625 ms each
    hr = parse_heart_rate(struct.pack(f"<BHH{count}H", 0x19, 150, 12, *raw))
    assert hr.rr_ms == tuple(r * 1000 / 1024 for r in raw)
    assert hr.rr_ms[0] == 500.0 and (hr.bpm, hr.energy_kj) == (150, 12)


def test_rr_edge_values() -> None:
    hr = parse_heart_rate(struct.pack("<BBHH", 0x10, 60, 0, 65535))
    assert hr.rr_ms == (0.0, 65535 * 1000 / 1024)  # 63999.0234375 ms


# ---------------------------------------------------------------- cycling power layout


def test_negative_power_is_signed() -> None:
    assert parse_cycling_power(bytes.fromhex("0000 FFFF")).power_w == -1
    assert parse_cycling_power(struct.pack("<Hh", 0, -32768)).power_w == -32768
    assert parse_cycling_power(struct.pack("<Hh", 0, 32767)).power_w == 32767


def test_every_optional_cycling_power_field_at_once() -> None:
    flags = 0x1FFF  # bits 0-12: every field and every indicator
    angles = (0x123 << 12) | 0xABC  # min 0x123 = 291 deg in the high 12 bits, max 0xABC = 2748
    payload = (
        struct.pack("<Hh", flags, 345)
        + struct.pack("<B", 101)  # balance 101 / 2 = 50.5 %
        + struct.pack("<H", 3200)  # accumulated torque 3200 / 32 = 100.0 N m
        + struct.pack("<IH", 4_294_967_295, 65535)  # wheel revs max u32, time 65535/2048 s
        + struct.pack("<HH", 65535, 1)  # crank revs max u16, time 1/1024 s
        + struct.pack("<hh", 600, -50)  # extreme force max 600 N, min -50 N
        + struct.pack("<hh", 1600, -64)  # extreme torque 1600/32 = 50.0, -64/32 = -2.0 N m
        + angles.to_bytes(3, "little")  # BC 3A 12
        + struct.pack("<HHH", 10, 190, 512)  # top / bottom dead spot, energy 512 kJ
    )
    assert angles.to_bytes(3, "little") == bytes.fromhex("BC 3A 12")
    cp = parse_cycling_power(payload)
    assert cp == CyclingPowerMeasurement(
        flags=flags,
        power_w=345,
        pedal_power_balance_pct=50.5,
        balance_reference_left=True,
        accumulated_torque_nm=100.0,
        torque_source_crank=True,
        wheel=RevolutionData(4_294_967_295, 65535, 2048, 2**32),
        crank=RevolutionData(65535, 1, 1024, 2**16),
        max_force_n=600,
        min_force_n=-50,
        max_torque_nm=50.0,
        min_torque_nm=-2.0,
        max_angle_deg=0xABC,
        min_angle_deg=0x123,
        top_dead_spot_deg=10,
        bottom_dead_spot_deg=190,
        accumulated_energy_kj=512,
        offset_compensation=True,
    )


#: Each flag bit that enables a field: (bit, field bytes, name of the field its last byte belongs to)
CP_FIELDS = [
    (0, struct.pack("<B", 1), "pedal power balance"),
    (2, struct.pack("<H", 1), "accumulated torque"),
    (4, struct.pack("<IH", 1, 1), "last wheel event time"),
    (5, struct.pack("<HH", 1, 1), "last crank event time"),
    (6, struct.pack("<hh", 1, 1), "minimum force magnitude"),
    (7, struct.pack("<hh", 1, 1), "minimum torque magnitude"),
    (8, (1).to_bytes(3, "little"), "extreme angles"),
    (9, struct.pack("<H", 1), "top dead spot angle"),
    (10, struct.pack("<H", 1), "bottom dead spot angle"),
    (11, struct.pack("<H", 1), "accumulated energy"),
]


@pytest.mark.parametrize(("bit", "field_bytes", "field"), CP_FIELDS)
def test_each_truncated_cycling_power_field(bit: int, field_bytes: bytes, field: str) -> None:
    whole = struct.pack("<Hh", 1 << bit, 100) + field_bytes
    parse_cycling_power(whole)  # complete: parses
    with pytest.raises(PayloadError) as caught:
        parse_cycling_power(whole[:-1])
    assert caught.value.field == field
    assert caught.value.got == caught.value.expected - 1  # type: ignore[operator]


def test_truncated_power_names_field_and_bytes() -> None:
    with pytest.raises(PayloadError) as caught:
        parse_cycling_power(b"\x00\x00\xfa")
    error = caught.value
    assert (error.field, error.expected, error.got) == ("instantaneous power", 2, 1)
    assert "instantaneous power needs 2 bytes at offset 2, got 1" in str(error)


@pytest.mark.parametrize("bit", [13, 14, 15])
def test_cycling_power_reserved_flags(bit: int) -> None:
    with pytest.raises(PayloadError, match="reserved flag"):
        parse_cycling_power(struct.pack("<Hh", 1 << bit, 100))


# ---------------------------------------------------------------- RSC and CSC layouts


def test_rsc_walking_without_optional_fields_and_distance_only() -> None:
    rsc = parse_rsc(struct.pack("<BHB", 0x00, 384, 120))  # 384/256 = 1.5 m/s
    assert rsc == RscMeasurement(0, 1.5, 120, None, None, False)
    rsc = parse_rsc(struct.pack("<BHBI", 0x02, 0, 0, 2**32 - 1))  # (2**32 - 1) / 10 m
    assert (rsc.stride_length_m, rsc.total_distance_m) == (None, 429496729.5)


def test_csc_wheel_only_and_crank_only_and_none() -> None:
    assert parse_csc(struct.pack("<BIH", 1, 7, 9)) == CscMeasurement(
        1, RevolutionData(7, 9, 1024, 2**32), None
    )
    assert parse_csc(struct.pack("<BHH", 2, 7, 9)) == CscMeasurement(
        2, None, RevolutionData(7, 9, 1024, 2**16)
    )
    assert parse_csc(b"\x00") == CscMeasurement(0)


# ---------------------------------------------------------------- malformed payloads


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty payload"),
        (b"\x00", "heart rate (uint8) needs 1 bytes"),
        (b"\x01\x48", "heart rate (uint16) needs 2 bytes at offset 1, got 1"),
        (b"\x08\x48\x2c", "energy expended needs 2 bytes at offset 2, got 1"),
        (b"\x10\x48", "RR-interval flag set but no RR interval follows"),
        (b"\x10\x48\x00\x04\x1e", "3 bytes remain (odd)"),
        (b"\x00\x48\x00", "1 unexpected trailing bytes"),
        (b"\x20\x48", "reserved flag bits set: flags 0x20"),
        (b"\x40\x48", "reserved flag bits set: flags 0x40"),
        (b"\x80\x48", "reserved flag bits set: flags 0x80"),
    ],
)
def test_malformed_heart_rate(payload: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match="^2a37 heart rate measurement: ") as caught:
        parse_heart_rate(payload)
    assert reason in caught.value.reason
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("parse", "payload", "field"),
    [
        (parse_rsc, b"\x00\x00", "instantaneous speed"),
        (parse_rsc, b"\x00\x00\x03", "instantaneous cadence"),
        (parse_rsc, b"\x01\x00\x03\xb4\x64", "instantaneous stride length"),
        (parse_rsc, b"\x02\x00\x03\xb4\xe8\x03\x00", "total distance"),
        (parse_rsc, b"\x08\x00\x03\xb4", "flags"),
        (parse_csc, b"\x01\xe8\x03\x00", "cumulative wheel revolutions"),
        (parse_csc, b"\x02\x32\x00\x00", "last crank event time"),
        (parse_csc, b"\x04", "flags"),
        (parse_csc, b"\x00\x00", "trailing"),
        (parse_body_sensor_location, b"", "flags"),
        (parse_body_sensor_location, b"\x01\x01", "trailing"),
    ],
)
def test_malformed_rsc_csc_location(
    parse: Callable[[bytes], object], payload: bytes, field: str
) -> None:
    with pytest.raises(PayloadError) as caught:
        parse(payload)
    assert caught.value.field == field


FULL_PAYLOADS = {
    "2a37": struct.pack("<BHHH", 0x1F, 150, 300, 800),  # one RR: any shorter prefix is cut
    "2a38": b"\x01",
    "2a53": bytes.fromhex("07 00 03 B4 64 00 E8 03 00 00"),
    "2a5b": bytes.fromhex("03 E8 03 00 00 00 04 32 00 00 08"),
    "2a63": struct.pack("<Hh", 0x0FFF, 1) + bytes(1 + 2 + 6 + 4 + 4 + 4 + 3 + 2 + 2 + 2),
}


@pytest.mark.parametrize("uuid", sorted(FULL_PAYLOADS))
def test_every_prefix_raises_payload_error(uuid: str) -> None:
    whole = FULL_PAYLOADS[uuid]
    decode(uuid, whole)
    for end in range(len(whole)):
        with pytest.raises(PayloadError):
            decode(uuid, whole[:end])


def test_random_bytes_never_raise_anything_but_payload_error() -> None:
    rng = random.Random(14)  # fixed seed: the same bytes every run
    outcomes = {"parsed": 0, "refused": 0}
    for _ in range(3000):
        uuid = rng.choice(sorted(FULL_PAYLOADS))
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(12)))
        try:
            decode(uuid, data)
        except PayloadError:
            outcomes["refused"] += 1
        else:
            outcomes["parsed"] += 1
    assert outcomes["parsed"] > 20 and outcomes["refused"] > 1000, outcomes  # both paths ran


# ---------------------------------------------------------------- decode entry point


@pytest.mark.parametrize(
    "name", ["2a37", "2A37", "0x2a37", "0X2A37", "00002a37", "00002A37-0000-1000-8000-00805F9B34FB"]
)
def test_decode_accepts_uuid_forms(name: str) -> None:
    assert short_uuid(name) == "2a37"
    assert decode(name, bytes.fromhex("16 48 00 04 1E 04")).bpm == 72  # type: ignore[union-attr]


def test_decode_dispatches_each_characteristic() -> None:
    kinds = {uuid: type(decode(uuid, payload)) for uuid, payload in FULL_PAYLOADS.items()}
    assert kinds == {
        "2a37": HeartRateMeasurement,
        "2a38": BodySensorLocation,
        "2a53": RscMeasurement,
        "2a5b": CscMeasurement,
        "2a63": CyclingPowerMeasurement,
    }


@pytest.mark.parametrize(
    "name", ["2a19", "180d", "12345678-0000-1000-8000-00805f9b34fb", "xyz", ""]
)
def test_decode_refuses_unknown_characteristics(name: str) -> None:
    with pytest.raises(PayloadError):
        decode(name, b"\x00\x48")


def test_results_are_frozen() -> None:
    hr = parse_heart_rate(b"\x00\x48")
    with pytest.raises(AttributeError):
        hr.bpm = 1  # type: ignore[misc]


# ---------------------------------------------------------------- cadence and speed from deltas


def crank(revs: int, ticks: int) -> RevolutionData:
    return RevolutionData(revs, ticks, 1024, 2**16)


def test_cadence_from_one_revolution_per_second() -> None:
    assert crank_cadence_rpm(crank(50, 1024), crank(51, 2048)) == 60.0  # 1 rev / 1 s


def test_cadence_across_event_time_wrap() -> None:
    # 65000 -> 476 ticks is 476 + 65536 - 65000 = 1012 ticks; 2 revs: 2 * 1024 / 1012 * 60 = 121.42
    assert crank_cadence_rpm(crank(10, 65000), crank(12, 476)) == pytest.approx(121.4229, abs=1e-4)


def test_cadence_across_revolution_counter_wrap() -> None:
    # 65535 -> 1 is 2 revolutions; 2048 ticks = 2 s: 1 rev/s = 60 rpm
    assert crank_cadence_rpm(crank(65535, 0), crank(1, 2048)) == 60.0


def test_no_new_event_gives_no_value() -> None:
    assert crank_cadence_rpm(crank(50, 1024), crank(50, 1024)) is None
    assert crank_cadence_rpm(None, crank(50, 1024)) is None
    assert crank_cadence_rpm(crank(50, 1024), None) is None


def test_wheel_speed_cycling_power_at_2048_ticks() -> None:
    prev = RevolutionData(1000, 2048, 2048, 2**32)
    cur = RevolutionData(1003, 6144, 2048, 2**32)  # 3 revs in 4096/2048 = 2 s
    assert wheel_speed_mps(prev, cur, 2.096) == pytest.approx(3 * 2.096 / 2)  # 3.144 m/s


def test_wheel_speed_csc_at_1024_ticks_and_u32_wrap() -> None:
    prev = RevolutionData(2**32 - 1, 65024, 1024, 2**32)
    cur = RevolutionData(2, 512, 1024, 2**32)  # 3 revs in 512 + 65536 - 65024 = 1024 ticks = 1 s
    assert wheel_speed_mps(prev, cur, 2.0) == 6.0


def test_mismatched_counters_give_no_value() -> None:
    wheel = RevolutionData(1, 0, 2048, 2**32)
    assert revolutions_per_second(wheel, crank(2, 1024)) is None


def test_circumference_must_be_positive() -> None:
    with pytest.raises(ValueError, match="circumference"):
        wheel_speed_mps(crank(1, 0), crank(2, 1024), 0)
