"""The real MediaPipe pose model: shared video frames, people photos, bad input, process pools.

Skipped when mediapipe (with its bundled pose model) is not installed, and per test when the shared
data is absent.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.exercise_clips import clip_jpegs, labelled_clips, missing_reason, shared_data

pytest.importorskip("mediapipe", reason="mediapipe is not installed")
pytest.importorskip("cv2", reason="OpenCV is not installed")

from fithub.vision.landmarks import Landmark, load_landmark_clip  # noqa: E402
from fithub.vision.pose import (  # noqa: E402
    MODEL_COMPLEXITY,
    EstimatorFactory,
    ImageDecodeError,
    PoseEstimator,
    PoseModelUnavailable,
    VideoReadError,
    decode_image,
    model_files,
    process_estimator,
    read_video,
)

try:
    model_files()
except PoseModelUnavailable as exc:  # pragma: no cover - depends on the installed wheel
    pytest.skip(f"pose model unavailable: {exc}", allow_module_level=True)


def photos() -> Path:
    root = shared_data()
    folder = root / "people-photos" if root else None
    if folder is None or not folder.is_dir():
        pytest.skip(missing_reason("people photos"))
    return folder


@pytest.fixture(scope="module")
def photo_estimator() -> Iterator[PoseEstimator]:
    estimator = PoseEstimator(video=False)
    yield estimator
    estimator.close()


def test_the_model_ships_in_the_wheel_and_only_complexity_1_is_used() -> None:
    assert MODEL_COMPLEXITY == 1
    assert all(path.is_file() and path.stat().st_size > 100_000 for path in model_files())


def test_video_frames_give_the_same_landmarks_as_the_shared_npz() -> None:
    clip = next((c for c in labelled_clips() if c.name == "squat_vengaza"), None)
    if clip is None or not clip.video.is_file() or not clip.landmarks.is_file():
        pytest.skip(missing_reason("squat_vengaza clip"))
    expected = load_landmark_clip(clip.landmarks)[:20]
    with PoseEstimator(video=True) as estimator:
        got = [estimator.estimate(f.image, f.t_ms) for f in read_video(clip.video, max_frames=20)]
    assert [f.t_ms for f in got] == pytest.approx([f.t_ms for f in expected])
    assert all(f.detected and f.world is not None for f in got)
    diff = np.abs(
        np.stack([f.landmarks[:, :2] for f in got])
        - np.stack([f.landmarks[:, :2] for f in expected])
    )
    assert float(diff.max()) < 0.02, "the pose path should reproduce the recorded landmarks"
    assert got[0].aspect == pytest.approx(540 / 960)


@pytest.mark.parametrize("name", ["crossfit_front_standing.jpg", "crossfit_side_standing.jpg"])
def test_a_standing_person_is_found_on_the_crossfit_photos(
    photo_estimator: PoseEstimator, name: str
) -> None:
    path = photos() / name
    if not path.is_file():
        pytest.skip(missing_reason(name))
    frame = photo_estimator.estimate(path.read_bytes())
    assert frame.detected and frame.world is not None
    assert frame.aspect == pytest.approx(1280 / 720)
    nose, hip, ankle = (
        frame.xy(i)[1] for i in (Landmark.NOSE, Landmark.LEFT_HIP, Landmark.LEFT_ANKLE)
    )
    assert nose < hip < ankle, "standing: head above hips above ankles"
    assert frame.visibility(Landmark.LEFT_SHOULDER) > 0.5


def test_every_photo_is_handled_with_or_without_a_person(photo_estimator: PoseEstimator) -> None:
    images = sorted(p for p in photos().iterdir() if p.suffix in {".jpg", ".png", ".webp"})
    assert images
    found = {p.name: photo_estimator.estimate(p.read_bytes()).detected for p in images}
    if "opencv_vtest_frame0.png" in found:  # tiny pedestrians: MediaPipe finds nobody
        assert found["opencv_vtest_frame0.png"] is False
    assert sum(found.values()) >= len(found) - 1


def test_an_image_without_a_person_gives_an_empty_frame(photo_estimator: PoseEstimator) -> None:
    gradient = np.tile(np.linspace(0, 255, 320, dtype=np.uint8), (240, 1))
    frame = photo_estimator.estimate(np.dstack([gradient] * 3), t_ms=5.0)
    assert not frame.detected and frame.t_ms == 5.0 and frame.world is None


def test_decoded_arrays_and_encoded_bytes_give_the_same_pose(
    photo_estimator: PoseEstimator,
) -> None:
    path = photos() / "crossfit_front_standing.jpg"
    if not path.is_file():
        pytest.skip(missing_reason(path.name))
    from_bytes = photo_estimator.estimate(path.read_bytes())
    from_array = photo_estimator.estimate(decode_image(path.read_bytes()))
    np.testing.assert_allclose(from_bytes.landmarks, from_array.landmarks, atol=1e-6)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"hello, this is text", "not a JPEG, PNG or WebP"),
        (b"GIF89a" + b"\0" * 64, "not a JPEG, PNG or WebP"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 64, "corrupt or truncated"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "corrupt or truncated"),
    ],
    ids=["empty", "text", "gif", "broken-jpeg", "broken-png"],
)
def test_bytes_that_are_not_an_image_raise_a_clear_error(
    photo_estimator: PoseEstimator, data: bytes, message: str
) -> None:
    with pytest.raises(ImageDecodeError, match=message):
        photo_estimator.estimate(data)


def test_arrays_that_are_not_8_bit_images_are_refused(photo_estimator: PoseEstimator) -> None:
    with pytest.raises(ValueError, match="8-bit"):
        photo_estimator.estimate(np.zeros((10, 10, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="shape"):
        photo_estimator.estimate(np.zeros((10, 10, 2), dtype=np.uint8))


def test_a_missing_video_raises(tmp_path: Path) -> None:
    with pytest.raises(VideoReadError):
        next(read_video(tmp_path / "nothing.mp4"))


def _detect_in_worker(data: bytes) -> bool:
    return process_estimator().estimate(data).detected


def test_estimators_pickle_and_run_in_a_process_pool(photo_estimator: PoseEstimator) -> None:
    path = photos() / "crossfit_side_standing.jpg"
    if not path.is_file():
        pytest.skip(missing_reason(path.name))
    copy = pickle.loads(pickle.dumps(photo_estimator))  # the model is rebuilt lazily
    assert copy.estimate(path.read_bytes()).detected
    assert pickle.loads(pickle.dumps(EstimatorFactory(video=False)))() is not None
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        assert list(pool.map(_detect_in_worker, [path.read_bytes()] * 2)) == [True, True]


def test_a_warmed_estimator_gives_the_landmarks_of_a_new_one() -> None:
    frames = clip_jpegs("squat_vengaza", 15)
    with PoseEstimator(video=True) as new, PoseEstimator(video=True) as warmed:
        warmed.warm()
        for t_ms, jpeg in frames:
            a, b = new.estimate(jpeg, t_ms), warmed.estimate(jpeg, t_ms)
            assert a.detected and b.detected
            np.testing.assert_array_equal(a.landmarks, b.landmarks)
            np.testing.assert_array_equal(a.world, b.world)


def test_jpeg_bytes_decode_to_the_pixels_the_model_saw_before() -> None:
    import cv2

    _, jpeg = clip_jpegs("squat_vengaza", 1)[0]
    bgr = decode_image(jpeg)
    assert bgr.ndim == 3 and bgr.shape[2] == 3
    with PoseEstimator(video=False) as from_bytes, PoseEstimator(video=False) as from_array:
        a = from_bytes.estimate(jpeg)  # decoded straight to RGB
        b = from_array.estimate(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR))
    np.testing.assert_array_equal(a.landmarks, b.landmarks)
