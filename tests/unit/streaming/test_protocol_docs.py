"""docs/streaming.md and docs/asyncapi.yaml stay in step with the live protocol in streaming/.

Like tests/unit/plugins/test_hookspecs_docs.py for plugins: every client message of ``protocol.ClientMessage``,
every server event the code emits (the ``p.event("...")`` calls in streaming/ and the vision
events), and every close code must be documented, and the AsyncAPI payloads of the client messages
must be the schemas ``streaming/protocol.py`` validates with.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import typing
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from fithub.core.problems import problem_body
from fithub.streaming import protocol as p
from fithub.streaming.coordinator import LiveLimits
from fithub.vision import events as vision_events

ROOT = Path(__file__).resolve().parents[3]
GUIDE = ROOT / "docs" / "streaming.md"
SPEC = ROOT / "docs" / "asyncapi.yaml"
STREAMING = ROOT / "streaming"


# -- what the code says ----------------------------------------------------------------------


def client_models() -> dict[str, type[Any]]:
    """Each client message model of the ``ClientMessage`` union by its ``type``."""
    union = typing.get_args(p.ClientMessage)[0]  # Annotated[A | B | ..., Field(discriminator)]
    models = {}
    for model in typing.get_args(union):
        (kind,) = typing.get_args(model.model_fields["type"].annotation)
        models[kind] = model
    return models


def _event_calls() -> list[ast.Call]:
    """``p.event("kind", ...)`` (or ``event("kind", ...)``) calls in streaming/*.py."""
    calls = []
    for path in sorted(STREAMING.glob("*.py")):
        if path.name.startswith("telemetry"):  # docs/telemetry.md: test_telemetry_docs.py
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            named = (isinstance(func, ast.Attribute) and func.attr == "event") or (
                isinstance(func, ast.Name) and func.id == "event"
            )
            first = node.args[0]
            if named and isinstance(first, ast.Constant) and isinstance(first.value, str):
                calls.append(node)
    return calls


def emitted_keywords() -> dict[str, set[str]]:
    """Server event type -> the fields its ``p.event`` calls name explicitly."""
    found: dict[str, set[str]] = {}
    for call in _event_calls():
        kind = typing.cast(ast.Constant, call.args[0]).value
        found.setdefault(kind, set()).update(k.arg for k in call.keywords if k.arg is not None)
    return found


def vision_payloads() -> dict[str, dict[str, Any]]:
    """The vision events (rep, feedback, exercise) as the server forwards them (``to_dict()``)."""
    cue = vision_events.Cue("squat_depth", "Squat deeper", 0.2)
    samples = [
        vision_events.RepEvent("squat", 1, 0.0, 800.0, 1600.0, 0.5, 0.8, (cue,), None),
        vision_events.FeedbackEvent("squat", 800.0, cue, 1),
        vision_events.ExerciseDetected("squat", 1600.0, 0.9, {"squat": 1.8}),
    ]
    payloads = {sample.to_dict()["type"]: sample.to_dict() for sample in samples}
    kinds = {
        field.default
        for cls in typing.get_args(vision_events.VisionEvent)
        for field in dataclasses.fields(cls)
        if field.name == "kind"
    }
    assert set(payloads) == kinds, "a vision event kind has no sample here: add one"
    return payloads


def server_event_types() -> set[str]:
    return set(emitted_keywords()) | set(vision_payloads())


def close_codes() -> dict[str, int]:
    return {name: value for name, value in vars(p).items() if name.startswith("CLOSE_")}


# -- what the documents say ------------------------------------------------------------------


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC.read_text())
    return loaded


@cache
def guide() -> str:
    return GUIDE.read_text()


def resolve(node: Any) -> Any:
    """Follow a local ``$ref`` (``#/a/b/c``) in the AsyncAPI document."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def properties(schema: Any) -> tuple[dict[str, Any], set[str]]:
    """Properties and required names of an object schema, through ``allOf`` and ``$ref``."""
    schema = resolve(schema)
    props = dict(schema.get("properties", {}))
    required = set(schema.get("required", []))
    for part in schema.get("allOf", []):
        more, needed = properties(part)
        props.update(more)
        required |= needed
    return props, required


def operation_messages(action: str) -> dict[str, dict[str, Any]]:
    """Messages of the operations with ``action``, by the ``type`` const of their payload."""
    found = {}
    for operation in spec()["operations"].values():
        if operation["action"] != action or is_telemetry(operation):
            continue
        for ref in operation["messages"]:
            message = resolve(ref)
            props, _ = properties(message["payload"])
            kind = props.get("type", {}).get("const")
            if kind is not None:
                found[kind] = message
    return found


def is_telemetry(operation: dict[str, Any]) -> bool:
    """An operation of the telemetry channels (checked by test_telemetry_docs.py)."""
    return str(resolve(operation["channel"])["address"]).startswith("/ws/v1/telemetry")


def section(heading: str) -> str:
    """The text of a ``## heading`` section of docs/streaming.md."""
    marker = f"\n## {heading}\n"
    assert marker in guide(), f"docs/streaming.md has no '## {heading}' section"
    return guide().split(marker, 1)[1].split("\n## ", 1)[0]


def without_prose(schema: Any) -> Any:
    """A JSON schema without titles, descriptions and examples, ``required`` as a set."""
    if isinstance(schema, dict):
        return {
            key: set(value) if key == "required" else without_prose(value)
            for key, value in schema.items()
            if key not in {"title", "description", "examples"}
        }
    if isinstance(schema, list):
        return [without_prose(item) for item in schema]
    return schema


# -- the scan itself is not empty ------------------------------------------------------------


def test_the_code_has_messages_events_and_close_codes_to_document() -> None:
    assert {"auth", "start", "frame", "stop"} <= set(client_models())
    assert {"ready", "started", "state", "summary", "error", "rep", "feedback"} <= (
        server_event_types()
    )
    assert {"CLOSE_NORMAL", "CLOSE_UNAUTHORIZED"} <= set(close_codes())


# -- docs/asyncapi.yaml ----------------------------------------------------------------------


def test_asyncapi_is_a_3_0_document_of_the_live_channel() -> None:
    assert str(spec()["asyncapi"]).startswith("3.0")
    addresses = [channel["address"] for channel in spec()["channels"].values()]
    assert "/ws/v1/live" in addresses
    for operation in spec()["operations"].values():
        channel = resolve(operation["channel"])
        for ref in operation["messages"]:  # AsyncAPI 3: an operation's messages are its channel's
            assert ref["$ref"].startswith("#/channels/"), ref
            assert resolve(ref) in [resolve(m) for m in channel["messages"].values()]


@pytest.mark.parametrize("kind", sorted(client_models()))
def test_client_message_is_in_asyncapi_with_the_schema_the_server_validates(kind: str) -> None:
    received = operation_messages("receive")
    assert kind in received, f"docs/asyncapi.yaml: no '{kind}' message in a receive operation"
    documented = without_prose(resolve(received[kind]["payload"]))
    expected = without_prose(client_models()[kind].model_json_schema())
    assert documented == expected, (
        f"docs/asyncapi.yaml's '{kind}' payload differs from streaming/protocol.py:\n"
        f"documented {documented}\nexpected   {expected}"
    )


@pytest.mark.parametrize("kind", sorted(client_models()))
def test_client_message_examples_in_asyncapi_are_accepted_by_the_server(kind: str) -> None:
    examples = operation_messages("receive")[kind].get("examples", [])
    assert examples, f"docs/asyncapi.yaml: give the '{kind}' message an example"
    for example in examples:
        assert p.client_message.validate_python(example["payload"]).type == kind


@pytest.mark.parametrize("kind", sorted(server_event_types()))
def test_server_event_is_in_asyncapi_with_every_field_it_carries(kind: str) -> None:
    sent = operation_messages("send")
    assert kind in sent, f"docs/asyncapi.yaml: no '{kind}' message in a send operation"
    props, required = properties(sent[kind]["payload"])
    named = emitted_keywords().get(kind, set()) | set(vision_payloads().get(kind, {}))
    missing = named - set(props)
    assert not missing, f"docs/asyncapi.yaml: the '{kind}' payload lacks {sorted(missing)}"
    if kind in vision_payloads():
        assert set(props) == set(vision_payloads()[kind]), f"'{kind}' fields differ from to_dict()"
    for example in sent[kind].get("examples", []):
        keys = set(example["payload"])
        assert required <= keys <= set(props), f"'{kind}' example: {sorted(keys)}"


def test_the_error_event_is_the_problem_object_with_its_type_as_problem_type() -> None:
    props, _ = properties(operation_messages("send")["error"]["payload"])
    problem = problem_body(400, "bad_message", "detail")
    expected = {"problem_type" if key == "type" else key for key in problem} | {"type"}
    assert set(props) == expected


def test_asyncapi_names_every_close_code() -> None:
    description = spec()["info"]["description"]
    for name, code in close_codes().items():
        assert re.search(rf"\b{code}\b", description), f"asyncapi.yaml: close code {code} ({name})"


# -- docs/streaming.md -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(client_models()))
def test_client_message_has_a_section_in_the_guide(kind: str) -> None:
    assert f"\n### `{kind}`\n" in section("Client messages"), (
        f"docs/streaming.md: add a '### `{kind}`' section under '## Client messages'"
    )


@pytest.mark.parametrize("kind", sorted(server_event_types()))
def test_server_event_has_a_section_in_the_guide(kind: str) -> None:
    assert f"\n### `{kind}`\n" in section("Server events"), (
        f"docs/streaming.md: add a '### `{kind}`' section under '## Server events'"
    )


@pytest.mark.parametrize("name", sorted(close_codes()))
def test_close_code_is_in_the_guide(name: str) -> None:
    code = close_codes()[name]
    assert f"\n| {code} |" in section("Close codes"), (
        f"docs/streaming.md: the close codes table lacks {code} ({name})"
    )


def test_the_guide_documents_no_message_or_close_code_that_does_not_exist() -> None:
    documented = set(re.findall(r"^### `(\w+)`$", guide(), flags=re.MULTILINE))
    assert documented == set(client_models()) | server_event_types()
    codes = {int(c) for c in re.findall(r"^\| (\d{4}) \|", section("Close codes"), re.MULTILINE)}
    assert codes == set(close_codes().values())


def test_the_guide_examples_are_json_and_client_messages_are_accepted() -> None:
    blocks = re.findall(r"```json\n(.*?)```", guide(), flags=re.DOTALL)
    assert len(blocks) >= len(client_models())
    for block in blocks:
        message = json.loads(block)
        if message.get("type") in client_models() and "..." not in block:
            p.client_message.validate_python(message)


def test_the_guide_states_the_default_limits() -> None:
    limits = section("Limits")
    defaults = LiveLimits()
    for value in (
        f"{defaults.max_message_bytes:,}",
        f"{defaults.auth_timeout_s:g} seconds",
        f"{defaults.resume_window_s} seconds",
        f"{defaults.messages_per_second:g} messages per second",
        f"bursts up to {defaults.burst:g}",
        f"{defaults.bad_messages_before_close} per socket",
        f"{defaults.outbox_size} waiting",
    ):
        assert value in limits, f"docs/streaming.md's limits do not say '{value}'"


def test_the_guide_has_a_sequence_diagram_and_never_puts_a_token_in_a_url() -> None:
    assert "```mermaid\nsequenceDiagram\n" in guide()
    assert not re.search(r"wss?://\S*[?&](token|access_token)=", guide())
