"""Heart-rate science (reference §8): expected values are worked by hand in the comments."""

from __future__ import annotations

import json
import math

import pytest

from fithub.core.telemetry.physiology import (
    BanisterTrimp,
    EnergyFromHeartRate,
    HeartProfile,
    HeartRateZones,
    LiveDerivation,
    MaxHeartRate,
    RollingRmssd,
    RrArtefactFilter,
    TimeInZones,
    banister_trimp,
    banister_weight,
    edwards_trimp,
    keytel_kcal_per_min,
    max_heart_rate,
    rmssd,
)

# ---------------------------------------------------------------- maximum and zones


def test_max_heart_rate_measured_tanaka_or_unknown() -> None:
    assert max_heart_rate(HeartProfile(age=40, max_bpm=195)) == MaxHeartRate(195, "measured")
    assert max_heart_rate(HeartProfile(age=40)) == MaxHeartRate(180.0, "tanaka")  # 208 - 28
    assert max_heart_rate(HeartProfile(resting_bpm=60)) is None


def test_zones_as_percent_of_max() -> None:
    zones = HeartRateZones.build(200)  # 50..100 % of 200
    assert zones.method == "hrmax"
    assert zones.bounds() == [(100, 120), (120, 140), (140, 160), (160, 180), (180, 200)]
    cases = {99.9: 0, 100: 1, 119.9: 1, 120: 2, 159: 3, 160: 4, 180: 5, 200: 5, 230: 5, 0: 0}
    assert {bpm: zones.zone_of(bpm) for bpm in cases} == cases


def test_karvonen_zones_with_resting_rate() -> None:
    # reserve 190 - 60 = 130: 60 + 0.5*130 = 125, 138, 151, 164, 177, 190
    zones = HeartRateZones.for_profile(HeartProfile(resting_bpm=60, max_bpm=190))
    assert zones is not None and zones.method == "hrr"
    assert zones.lower_bounds == pytest.approx((125, 138, 151, 164, 177, 190))
    assert (zones.zone_of(124), zones.zone_of(150), zones.zone_of(151)) == (0, 2, 3)


def test_resting_rate_not_below_max_falls_back_to_percent_of_max() -> None:
    zones = HeartRateZones.build(150, resting_bpm=160)
    assert (zones.method, zones.resting_bpm, zones.lower_bounds[0]) == ("hrmax", None, 75)


def test_no_zones_without_a_maximum() -> None:
    assert HeartRateZones.for_profile(HeartProfile(sex="male")) is None


@pytest.mark.parametrize(
    "kwargs", [{"sex": "m"}, {"age": -1}, {"weight_kg": 0}, {"max_bpm": math.nan}]
)
def test_profile_refuses_nonsense(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        HeartProfile(**kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------- time in zones


def test_time_in_zones_credits_previous_sample_and_caps_gaps() -> None:
    tiz = TimeInZones(HeartRateZones.build(200))  # zone 1 from 100, 2 from 120, 3 from 140...
    samples = [(0, 110), (1, 110), (2, 110), (3, 130), (4, 150), (20, 190), (21, 50)]
    for t, bpm in samples:
        tiz.add(t, bpm)
    # zone 1: 0->1, 1->2, 2->3 = 3 s; zone 2: 3->4 = 1 s; zone 3: 4->20 capped at 5 s;
    # zone 5: 20->21 = 1 s; the last sample (below zone 1) has no interval yet
    assert tiz.seconds == (0, 3, 1, 5, 0, 1)
    tiz.add(10, 200)  # out of order: ignored
    tiz.add(22, 50)
    assert tiz.seconds == (1, 3, 1, 5, 0, 1)


def test_edwards_trimp_from_time_in_zones() -> None:
    # 1 min below (x0) + 10 min z1 (x1) + 10 z2 (x2) + 5 z3 (x3) + 2 z4 (x4) + 1 z5 (x5)
    # = 0 + 10 + 20 + 15 + 8 + 5 = 58
    assert edwards_trimp([60, 600, 600, 300, 120, 60]) == pytest.approx(58)


# ---------------------------------------------------------------- Banister TRIMP


def test_banister_reference_example_male() -> None:
    # HRr = (150-60)/(190-60) = 0.692308; y = 0.64 e^(1.92*0.692308) = 0.64 * 3.77814 = 2.41801;
    # TRIMP = 45 * 0.692308 * 2.41801 = 75.330. (The reference rounds y to 2.4191 and gets 75.36.)
    assert banister_weight(90 / 130, "male") == pytest.approx(2.41801, abs=1e-5)
    assert banister_trimp(45, 150, 60, 190, "male") == pytest.approx(75.330, abs=1e-3)


def test_banister_female_and_unknown_sex() -> None:
    # female y = 0.86 e^(1.67*0.692308) = 0.86 * 3.17769 = 2.73281; 45 * 0.692308 * 2.73281 = 85.138
    assert banister_trimp(45, 150, 60, 190, "female") == pytest.approx(85.138, abs=1e-3)
    # unknown: y = (2.41801 + 2.73281) / 2 = 2.57541; 45 * 0.692308 * 2.57541 = 80.234
    assert banister_trimp(45, 150, 60, 190, None) == pytest.approx(80.234, abs=1e-3)


def test_banister_clamps_below_rest_and_above_max() -> None:
    assert banister_trimp(10, 50, 60, 190, "male") == 0.0
    # above max counts as HRr = 1: 10 * 1 * 0.64 e^1.92 = 10 * 0.64 * 6.82096 = 43.654
    assert banister_trimp(10, 200, 60, 190, "male") == pytest.approx(43.654, abs=1e-3)


def test_banister_accumulated_matches_the_closed_form() -> None:
    trimp = BanisterTrimp(resting_bpm=60, max_bpm=190, sex="male")
    for t in range(45 * 60 + 1):  # 2701 samples at 1 Hz = 2700 s = 45 min at 150
        trimp.add(t, 150)
    assert trimp.total == pytest.approx(75.330, abs=1e-3)


def test_banister_gap_counts_only_the_cap() -> None:
    trimp = BanisterTrimp(resting_bpm=60, max_bpm=190, sex="male", max_gap_s=5)
    trimp.add(0, 150)
    trimp.add(600, 150)  # 10 min of silence counts 5 s: (5/60) * 0.692308 * 2.41801 = 0.139501
    assert trimp.total == pytest.approx(0.139501, abs=1e-6)


def test_banister_needs_rest_below_max() -> None:
    with pytest.raises(ValueError):
        BanisterTrimp(resting_bpm=190, max_bpm=190, sex=None)


# ---------------------------------------------------------------- RR filter and RMSSD


def test_rmssd_reference_check_value() -> None:
    # diffs 50, -40, -90: (2500 + 1600 + 8100) / 3 = 4066.67; sqrt = 63.77
    assert rmssd([800, 850, 810, 720]) == pytest.approx(63.77, abs=0.005)
    assert rmssd([800]) is None


def test_artefact_filter_range_and_change() -> None:
    rr = RrArtefactFilter()
    accepted = [rr.accept(v) for v in (299, 2001, 800, 1000, 950, 1141, 1140)]
    # 299/2001 out of range; 800 first; 1000 is +25 % of 800; 950 is +18.75 %;
    # 1141 is +20.1 % of 950 (dropped), 1140 is exactly +20 % (kept)
    assert accepted == [False, False, True, False, True, False, True]


def test_artefact_filter_reanchors_after_five_rejections() -> None:
    rr = RrArtefactFilter()
    assert rr.accept(1000)
    assert [rr.accept(500) for _ in range(6)] == [False, False, False, False, True, True]


def test_rolling_rmssd_over_notifications() -> None:
    rolling = RollingRmssd(window_s=60, min_intervals=4)
    rolling.add(1.0, [800, 850])
    assert rolling.value() is None  # 2 intervals < 4
    rolling.add(2.0, [810, 720])
    assert rolling.value() == pytest.approx(63.77, abs=0.005)


def test_rolling_rmssd_skips_the_pair_across_an_artefact() -> None:
    rolling = RollingRmssd(window_s=60, min_intervals=4)
    rolling.add(1.0, [800, 850, 3000, 810, 720])  # 3000 ms dropped; 850 -> 810 not adjacent
    # pairs 800->850 (50) and 810->720 (-90): sqrt((2500 + 8100) / 2) = 72.80
    assert rolling.value() == pytest.approx(72.80, abs=0.005)
    assert rolling.rejected == 1


def test_rolling_rmssd_skips_the_pair_across_a_signal_gap() -> None:
    rolling = RollingRmssd(window_s=60, min_intervals=4, max_gap_s=5)
    for t, rr in [(0, 800), (1, 850), (20, 810), (21, 720)]:  # 19 s without notifications
        rolling.add(t, [rr])
    assert rolling.value() == pytest.approx(72.80, abs=0.005)  # as above


def test_rolling_rmssd_forgets_beats_outside_the_window() -> None:
    rolling = RollingRmssd(window_s=3, min_intervals=2)
    for t, rr in [(0, 1000), (1, 1100), (2, 1000), (3, 1100), (4, 1000)]:
        rolling.add(t, [rr])
    # window at t=4 keeps beats at 1..4: 1100, 1000, 1100, 1000: every diff 100
    assert rolling.value() == pytest.approx(100.0)
    for t in (5, 6, 7):
        rolling.add(t, [1000])
    # window at t=7 keeps beats at 4..7, all 1000 ms
    assert rolling.value() == 0.0


# ---------------------------------------------------------------- energy


def test_keytel_male_and_female() -> None:
    # M: -55.0969 + 0.6309*150 + 0.1988*80 + 0.2017*40 = 63.5101 kJ/min / 4.184 = 15.1793 kcal/min
    assert keytel_kcal_per_min(150, "male", 80, 40) == pytest.approx(15.1793, abs=1e-4)
    # F: -20.4022 + 0.4472*150 - 0.1263*60 + 0.074*30 = 41.3198 kJ/min / 4.184 = 9.8757 kcal/min
    assert keytel_kcal_per_min(150, "female", 60, 30) == pytest.approx(9.8757, abs=1e-4)


def test_keytel_never_negative() -> None:
    # M at 60 bpm, 50 kg, 20 y: -55.0969 + 37.854 + 9.94 + 4.034 = -3.2689 kJ/min -> 0
    assert keytel_kcal_per_min(60, "male", 50, 20) == 0.0


def test_energy_needs_sex_weight_and_age() -> None:
    assert EnergyFromHeartRate.for_profile(HeartProfile(age=40, weight_kg=80)) is None
    assert EnergyFromHeartRate.for_profile(HeartProfile(sex="male", weight_kg=80)) is None
    assert EnergyFromHeartRate.for_profile(HeartProfile(sex="male", age=40)) is None
    energy = EnergyFromHeartRate.for_profile(HeartProfile(sex="male", weight_kg=80, age=40))
    assert energy is not None
    for t in range(61):
        energy.add(t, 150)
    assert energy.kcal == pytest.approx(15.1793, abs=1e-4)  # one minute at 150


# ---------------------------------------------------------------- live derivation


def test_live_derivation_ten_minutes_at_150() -> None:
    live = LiveDerivation(
        HeartProfile(age=40, sex="male", weight_kg=80, resting_bpm=60, max_bpm=190)
    )
    for t in range(601):  # 600 s = 10 min at 150 bpm, RR alternating 800 / 850 ms
        live.add_heart_rate(1000.0 + t, 150, [800.0 if t % 2 else 850.0])
    live.add_heart_rate(1601.0, 0)  # no contact: not a reading
    snapshot = live.snapshot()
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot == {
        "t": 1601.0,
        "bpm": 150,
        "zone": 2,  # Karvonen: 138 <= 150 < 151
        "max_bpm": 190,
        "max_source": "measured",
        "zone_method": "hrr",
        "zone_bounds_bpm": [[125, 138], [138, 151], [151, 164], [164, 177], [177, 190]],
        "time_in_zones_s": [0.0, 0.0, 600.0, 0.0, 0.0, 0.0],
        "rmssd_ms": 50.0,  # every successive difference is 50 ms
        "trimp_banister": 16.74,  # 10 * 0.692308 * 2.41801 = 16.740
        "trimp_edwards": 30.0,  # 150/190 = 78.9 % of max: Edwards zone 3, 10 min * 3
        "energy_kcal": 151.8,  # 10 min * 15.1793
    }


def test_live_derivation_with_an_unknown_profile() -> None:
    live = LiveDerivation(HeartProfile())
    live.add_heart_rate(0, 120)
    live.add_heart_rate(1, 121)
    snapshot = live.snapshot()
    assert (snapshot["bpm"], snapshot["zone"], snapshot["max_bpm"]) == (121, None, None)
    unknown = ("time_in_zones_s", "trimp_banister", "trimp_edwards", "energy_kcal", "rmssd_ms")
    assert all(snapshot[key] is None for key in unknown)


def test_live_derivation_age_only_uses_tanaka_and_percent_of_max() -> None:
    live = LiveDerivation(HeartProfile(age=30))  # 208 - 21 = 187
    live.add_heart_rate(0, 160)  # 160 / 187 = 85.6 %: zone 4
    snapshot = live.snapshot()
    assert (snapshot["max_bpm"], snapshot["max_source"]) == (187.0, "tanaka")
    assert (snapshot["zone_method"], snapshot["zone"], snapshot["trimp_banister"]) == (
        "hrmax",
        4,
        None,
    )
