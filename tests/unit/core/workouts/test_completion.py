"""The interface workouts declare for what higher layers do when a workout is completed."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from fithub.core.workouts import completion

REGISTERED_BY_MODELS = (
    "import importlib\n"
    "from fithub.core.db import MODEL_MODULES\n"
    "for name in MODEL_MODULES:\n"
    "    importlib.import_module(name)\n"
    "from fithub.core.coaching import deadlines\n"
    "from fithub.core.workouts.completion import fulfillers\n"
    "print(sorted(fulfillers()), fulfillers()['coaching'] is deadlines.fulfil)\n"
)


def test_loading_the_models_registers_coachings_fulfiller() -> None:
    """What Tortoise imports in every process is enough: coaching's fulfiller is registered."""
    done = subprocess.run(
        [sys.executable, "-c", REGISTERED_BY_MODELS], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['coaching'] True"


async def test_every_registered_fulfiller_runs_and_a_name_registers_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(completion, "_fulfillers", {})
    calls: list[tuple[str, dict[str, Any]]] = []

    def fulfiller(name: str, ids: list[int]) -> completion.AssignmentFulfiller:
        async def fulfil(conn: Any, **facts: Any) -> list[int]:
            calls.append((name, facts))
            return ids

        return fulfil

    completion.register_fulfiller("a", fulfiller("stale", [99]))
    completion.register_fulfiller("a", fulfiller("a", [1, 2]))
    completion.register_fulfiller("b", fulfiller("b", [3]))
    at = datetime(2026, 1, 5, 18, tzinfo=UTC)
    done = await completion.fulfil_assignments(
        None,  # type: ignore[arg-type]
        user_id=7,
        workout_id=11,
        exercise_ids={5},
        assignment_id=None,
        completed_at=at,
    )
    assert done == [1, 2, 3]
    assert [name for name, _ in calls] == ["a", "b"]
    assert calls[0][1] == {
        "user_id": 7,
        "workout_id": 11,
        "exercise_ids": {5},
        "assignment_id": None,
        "completed_at": at,
    }
