"""``fithub analyze VIDEO``: count reps and score form in a local clip, as uploads are analysed."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import click

from fithub.core.media.containers import HEAD_BYTES, check_structure, sniff
from fithub.core.media.errors import ContainerError


@contextlib.contextmanager
def _native_output_silenced() -> Iterator[TextIO]:
    """Send fds 1 and 2 to /dev/null (MediaPipe's native logs); yield the real stderr to draw on."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(saved_err), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield terminal
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved_out, 1)
        os.dup2(saved_err, 2)
        for fd in (saved_out, saved_err, devnull):
            os.close(fd)
        terminal.close()


def _check_file(path: Path) -> str:
    """The container of a local file, or a ClickException saying why it is not a video."""
    if not path.exists():
        raise click.ClickException(f"{path}: no such file")
    if not path.is_file():
        raise click.ClickException(f"{path}: not a file")
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    container = sniff(head)
    if container is None:
        raise click.ClickException(
            f"{path}: not a video fithub can read (expected MP4, MOV, WebM or Matroska)"
        )
    try:
        check_structure(path, container)
    except ContainerError as exc:
        raise click.ClickException(f"{path}: {exc}") from exc
    return container.value


def _seconds(ms: float) -> str:
    return f"{ms / 1000:7.2f} s"


def _print_report(result: dict[str, Any], path: Path) -> None:
    exercise = result["exercise"] or "none recognised"
    detection = result.get("detection")
    how = ""
    if result["requested_exercise"] == "auto":
        how = f" (recognised, confidence {detection['confidence']:.2f})" if detection else ""
    click.echo(f"video:    {path} ({result['duration_s']:.1f} s, {result['fps']:.1f} fps)")
    click.echo(f"exercise: {exercise}{how}")
    click.echo(f"reps:     {result['rep_count']}")
    if result["mean_form_score"] is not None:
        click.echo(f"form:     {result['mean_form_score']:.2f} (mean of the reps, 0..1)")
    if not result["reps"]:
        return
    click.echo("")
    click.echo("  rep      start        end   duration  form  cues")
    for rep in result["reps"]:
        cues = "; ".join(cue["message"] for cue in rep["cues"]) or "-"
        click.echo(
            f"  {rep['number']:>3}  {_seconds(rep['start_ms'])}  {_seconds(rep['end_ms'])}  "
            f"{_seconds(rep['duration_ms'])}  {rep['form_score']:.2f}  {cues}"
        )


@click.command()
@click.argument("video", type=click.Path(path_type=Path))
@click.option(
    "--exercise",
    default="auto",
    show_default=True,
    help="the exercise to count (squat, pushup, lunge, situp, jumping_jack, a plugin's), or auto",
)
@click.option(
    "--json", "as_json", is_flag=True, help="print one JSON object on stdout, nothing else"
)
@click.option(
    "--max-fps",
    type=click.FloatRange(0, 240),
    default=0,
    show_default=True,
    help="analyse at most this many frames a second (0: every frame)",
)
def analyze(video: Path, exercise: str, as_json: bool, max_fps: float) -> None:
    """Count reps and score form in a local video file (the same analysis as uploads)."""
    from fithub.core.media.runner import exercise_classifiers
    from fithub.vision.analysis import UnknownExercise, analyze_video
    from fithub.vision.pose import PoseError

    _check_file(video)
    classifiers = exercise_classifiers()
    if exercise != "auto" and exercise not in classifiers:
        known = ", ".join(sorted([*classifiers, "auto"]))
        raise click.ClickException(f"unknown exercise {exercise!r} (one of {known})")
    show_bar = sys.stderr.isatty()
    try:
        with _native_output_silenced() as terminal:
            bar = click.progressbar(length=1000, label="analysing", file=terminal, show_eta=True)
            with bar if show_bar else contextlib.nullcontext():
                done = 0

                def progress(frames: int, total: int | None) -> None:
                    nonlocal done
                    if show_bar and total:
                        step = min(1000, int(1000 * frames / total))
                        bar.update(step - done)
                        done = step

                analysis = analyze_video(
                    video, exercise, classifiers, progress=progress, max_fps=max_fps or None
                )
                if show_bar:
                    bar.update(1000 - done)
    except UnknownExercise as exc:
        raise click.ClickException(str(exc)) from exc
    except PoseError as exc:
        raise click.ClickException(f"{video}: {exc}") from exc
    result = analysis.to_dict()
    if as_json:
        click.echo(json.dumps({"file": str(video), **result}, separators=(",", ":")))
    else:
        _print_report(result, video)
