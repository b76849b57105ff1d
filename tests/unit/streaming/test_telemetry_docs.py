"""docs/telemetry.md and docs/asyncapi.yaml stay in step with the telemetry sockets in streaming/.

Like test_protocol_docs.py for the live socket: every client message of
``telemetry_protocol.telemetry_client_message`` and ``watch_client_message``, every server event
the two sockets emit (the ``p.event("...")`` calls in streaming/telemetry*.py, the messages the
ingest publishes to watchers with ``self._publish("...")``, and ``pong``/``error`` of the shared
socket) and every close code they use must be documented in both, the AsyncAPI client payloads
must be the schemas the server validates with, and the worked examples of the derived values must
be what core/telemetry/physiology.py computes.
"""

from __future__ import annotations

import ast
import base64
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from fithub.core.config import Settings
from fithub.core.telemetry import ble, physiology
from fithub.streaming import protocol as p
from fithub.streaming import telemetry, telemetry_watch
from fithub.streaming import telemetry_protocol as tp
from fithub.streaming.coordinator import LiveLimits
from fithub.streaming.routes import TELEMETRY_MAX_MESSAGE_BYTES
from tests.unit.streaming.test_protocol_docs import resolve, spec

ROOT = Path(__file__).resolve().parents[3]
GUIDE = ROOT / "docs" / "telemetry.md"
INGEST_SOURCE = ROOT / "streaming" / "telemetry.py"
WATCH_SOURCE = ROOT / "streaming" / "telemetry_watch.py"
SHARED_EVENTS = {"pong", "error"}  # emitted for every socket by streaming/socket.py
ADAPTERS = {"telemetry": tp.telemetry_client_message, "telemetryWatch": tp.watch_client_message}


# -- what the code says ----------------------------------------------------------------------


def client_models(adapter: Any) -> dict[str, type[Any]]:
    """Each client message model of a discriminated-union adapter, by its ``type``."""
    mapping = adapter.json_schema()["discriminator"]["mapping"]
    return {kind: getattr(tp, ref.split("/")[-1]) for kind, ref in mapping.items()}


def calls(path: Path, name: str) -> dict[str, set[str]]:
    """``x.<name>("kind", field=...)`` calls in ``path``: kind -> the fields named explicitly."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func, first = node.func, node.args[0]
        if not (isinstance(func, ast.Attribute) and func.attr == name):
            continue
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            keywords = {k.arg for k in node.keywords if k.arg is not None}
            found.setdefault(first.value, set()).update(keywords)
    return found


def ingest_events() -> dict[str, set[str]]:
    events = calls(INGEST_SOURCE, "event")
    return {**{kind: set() for kind in SHARED_EVENTS}, **events}


def watch_events() -> dict[str, set[str]]:
    """The watch socket's own events and what it forwards (with ``user_id`` and ``stream_id``)."""
    events: dict[str, set[str]] = {kind: set() for kind in SHARED_EVENTS}
    events.update(calls(WATCH_SOURCE, "event"))
    for kind, fields in calls(INGEST_SOURCE, "_publish").items():
        events[kind] = fields | {"user_id", "stream_id"}
    events["values"].add("dropped")  # added per viewer by the watch socket's backpressure
    return events


def close_codes() -> dict[str, int]:
    codes = {name: value for name, value in vars(p).items() if name.startswith("CLOSE_")}
    for module in (telemetry, telemetry_watch):
        codes.update({n: v for n, v in vars(module).items() if n.startswith("CLOSE_")})
    return codes


# -- what the documents say ------------------------------------------------------------------


@cache
def guide() -> str:
    return GUIDE.read_text()


def inline(schema: Any, defs: dict[str, Any] | None = None) -> Any:
    """``schema`` with every ``$ref`` (``#/$defs/..`` with ``defs``, else the document's) replaced
    by its target, without prose, ``required`` as a set, a discriminator's mapping left out."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            ref = schema["$ref"]
            target = defs[ref.split("/")[-1]] if defs is not None else resolve(schema)
            return inline(target, defs)
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key in {"title", "description", "examples", "$defs"}:
                continue
            if key == "required":
                out[key] = set(value)
            elif key == "discriminator":
                out[key] = {"propertyName": value["propertyName"]}
            else:
                out[key] = inline(value, defs)
        return out
    if isinstance(schema, list):
        return [inline(item, defs) for item in schema]
    return schema


def properties(schema: Any) -> tuple[dict[str, Any], set[str]]:
    schema = resolve(schema)
    props = dict(schema.get("properties", {}))
    required = set(schema.get("required", []))
    for part in schema.get("allOf", []):
        more, needed = properties(part)
        props.update(more)
        required |= needed
    return props, required


def channel_messages(channel: str, action: str) -> dict[str, dict[str, Any]]:
    """Messages of ``channel``'s operations with ``action``, by their payload's ``type`` const."""
    found = {}
    for operation in spec()["operations"].values():
        if operation["action"] != action or operation["channel"]["$ref"] != f"#/channels/{channel}":
            continue
        for ref in operation["messages"]:
            message = resolve(ref)
            props, _ = properties(message["payload"])
            found[props["type"]["const"]] = message
    return found


def section(heading: str) -> str:
    marker = f"\n## {heading}\n"
    assert marker in guide(), f"docs/telemetry.md has no '## {heading}' section"
    return guide().split(marker, 1)[1].split("\n## ", 1)[0]


def headings(text: str) -> set[str]:
    return set(re.findall(r"^### `(\w+)`$", text, flags=re.MULTILINE))


# -- the scan itself is not empty ------------------------------------------------------------


def test_the_code_has_messages_events_and_close_codes_to_document() -> None:
    assert set(client_models(tp.telemetry_client_message)) == {
        "auth",
        "start",
        "batch",
        "stop",
        "ping",
    }
    assert set(client_models(tp.watch_client_message)) == {"auth", "watch", "ping"}
    assert {"ready", "started", "ack", "values", "sensor", "alert", "ended", "error"} <= set(
        ingest_events()
    )
    assert {"watching", "values", "started", "ended"} <= set(watch_events())
    assert ingest_events()["ack"] == {"seq", "stored", "duplicate"}
    assert {"CLOSE_STREAM_TAKEN", "CLOSE_UNAVAILABLE", "CLOSE_IDLE"} <= set(close_codes())


# -- docs/asyncapi.yaml ----------------------------------------------------------------------

CLIENT_CASES = [
    (channel, kind) for channel, adapter in ADAPTERS.items() for kind in client_models(adapter)
]


@pytest.mark.parametrize(("channel", "kind"), CLIENT_CASES)
def test_client_message_is_in_asyncapi_with_the_schema_the_server_validates(
    channel: str, kind: str
) -> None:
    received = channel_messages(channel, "receive")
    assert kind in received, (
        f"docs/asyncapi.yaml: no '{kind}' in the receive operation of {channel}"
    )
    model_schema = client_models(ADAPTERS[channel])[kind].model_json_schema()
    expected = inline(model_schema, model_schema.get("$defs", {}))
    documented = inline(received[kind]["payload"])
    assert documented == expected, (
        f"{channel} '{kind}':\ndocumented {documented}\nexpected   {expected}"
    )


@pytest.mark.parametrize(("channel", "kind"), CLIENT_CASES)
def test_client_message_examples_in_asyncapi_are_accepted_by_the_server(
    channel: str, kind: str
) -> None:
    examples = channel_messages(channel, "receive")[kind].get("examples", [])
    assert examples, f"docs/asyncapi.yaml: give the {channel} '{kind}' message an example"
    for example in examples:
        message = ADAPTERS[channel].validate_python(example["payload"])
        assert message.type == kind
        for item in getattr(message, "ble", []):  # a Bluetooth example must decode
            ble.decode(item.char, base64.b64decode(item.b64, validate=True))


EVENT_CASES = [("telemetry", kind) for kind in sorted(ingest_events())] + [
    ("telemetryWatch", kind) for kind in sorted(watch_events())
]


@pytest.mark.parametrize(("channel", "kind"), EVENT_CASES)
def test_server_event_is_in_asyncapi_with_every_field_it_carries(channel: str, kind: str) -> None:
    sent = channel_messages(channel, "send")
    assert kind in sent, f"docs/asyncapi.yaml: no '{kind}' in the send operation of {channel}"
    props, required = properties(sent[kind]["payload"])
    named = (ingest_events() if channel == "telemetry" else watch_events())[kind]
    missing = named - set(props)
    assert not missing, f"docs/asyncapi.yaml: {channel} '{kind}' lacks {sorted(missing)}"
    for example in sent[kind].get("examples", []):
        keys = set(example["payload"])
        assert required <= keys <= set(props), f"{channel} '{kind}' example: {sorted(keys)}"


@pytest.mark.parametrize("name", sorted(close_codes()))
def test_asyncapi_names_every_close_code(name: str) -> None:
    assert re.search(rf"\b{close_codes()[name]}\b", spec()["info"]["description"])


# -- docs/telemetry.md -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", sorted(set(client_models(tp.telemetry_client_message)) | {"watch"})
)
def test_client_message_has_a_section_in_the_guide(kind: str) -> None:
    assert kind in headings(guide()), f"docs/telemetry.md: add a '### `{kind}`' section"


@pytest.mark.parametrize("kind", sorted(ingest_events()))
def test_ingest_event_has_a_section_under_server_events(kind: str) -> None:
    assert kind in headings(section("Server events")), f"docs/telemetry.md: '### `{kind}`'"


@pytest.mark.parametrize("kind", sorted(watch_events()))
def test_watch_message_is_in_the_watch_section(kind: str) -> None:
    watch = section("Watching: `/ws/v1/telemetry/watch`")
    assert kind in headings(watch) or f"| `{kind}` |" in watch or kind in SHARED_EVENTS
    fields = watch_events()[kind]
    if f"| `{kind}` |" in watch:
        row = next(line for line in watch.splitlines() if line.startswith(f"| `{kind}` |"))
        assert all(f"`{field}`" in row for field in fields), f"watch table row of '{kind}'"


def test_the_guide_documents_no_message_that_does_not_exist() -> None:
    known = (
        set(ingest_events())
        | set(watch_events())
        | set(client_models(tp.telemetry_client_message))
        | {"watch"}
    )
    assert headings(guide()) <= known


@pytest.mark.parametrize("name", sorted(close_codes()))
def test_close_code_is_in_the_guide(name: str) -> None:
    assert f"\n| {close_codes()[name]} |" in section("Close codes"), f"docs/telemetry.md: {name}"


def test_the_guide_examples_are_json_and_client_messages_are_accepted() -> None:
    blocks = re.findall(r"```json\n(.*?)```", guide(), flags=re.DOTALL)
    kinds = set()
    for block in blocks:
        message = json.loads(block)
        if message["type"] == "watch":
            tp.watch_client_message.validate_python(message)
        elif message["type"] in client_models(tp.telemetry_client_message):
            parsed = tp.telemetry_client_message.validate_python(message)
            for item in getattr(parsed, "ble", []):
                ble.decode(item.char, base64.b64decode(item.b64, validate=True))
        kinds.add(message["type"])
    assert {"auth", "start", "batch", "stop", "ping", "watch", "error"} <= kinds


def test_the_guide_states_the_limits_and_settings() -> None:
    limits, settings = section("Limits"), section("Settings")
    defaults = LiveLimits()
    assert f"{tp.MAX_BATCH_ITEMS} samples and {tp.MAX_BATCH_ITEMS} Bluetooth payloads" in limits
    assert f"{tp.MAX_RR_PER_SAMPLE} RR intervals" in limits
    assert f"{TELEMETRY_MAX_MESSAGE_BYTES:,} bytes" in limits
    assert f"{defaults.messages_per_second:g} messages per second" in limits
    assert f"bursts up to {defaults.burst:g}" in limits
    assert f"{defaults.idle_timeout_s:g} seconds" in limits
    fields = Settings.model_fields
    assert f"{fields['telemetry_future_s'].default} s ahead" in limits
    assert f"{fields['telemetry_past_s'].default // 86400} days old" in limits
    for name, info in fields.items():
        if name.startswith("telemetry_"):
            row = next(
                (line for line in settings.splitlines() if f"`FITHUB_{name.upper()}`" in line), ""
            )
            assert row, f"docs/telemetry.md: the settings table lacks FITHUB_{name.upper()}"
            assert f"| {info.default:g}" in row.replace(",", ""), row


def test_the_guide_has_a_sequence_diagram_and_never_puts_a_token_in_a_url() -> None:
    assert "```mermaid\nsequenceDiagram\n" in guide()
    assert not re.search(r"wss?://\S*[?&](token|access_token)=", guide())


def test_the_worked_examples_are_what_the_code_computes() -> None:
    derived = section("Derived values")
    # Banister: 45 min at 150 bpm, rest 60, max 190, male: 45 x 0.6923 x 2.4180 = 75.33.
    assert f"**{physiology.banister_trimp(45, 150, 60, 190, 'male'):.2f}**" in derived
    # RMSSD of [800, 850, 810, 720]: sqrt((2500 + 1600 + 8100) / 3) = 63.77.
    assert f"= {physiology.rmssd([800, 850, 810, 720]):.2f} ms" in derived
    # Keytel, man, 75 kg, 35 y, 150 bpm: 61.508 kJ/min / 4.184 = 14.70 kcal/min.
    assert f"= {physiology.keytel_kcal_per_min(150, 'male', 75, 35):.2f} kcal/min" in derived
    # Edwards: 10 x 1 + 20 x 2 + 15 x 3 + 10 x 4 = 135.
    assert f"= {physiology.edwards_trimp([0, 600, 1200, 900, 600, 0]):g}" in derived
    for rest in (None, 60.0):  # zone starts of HRmax 190: 95, 114, ... and 125, 138, ... (rest 60)
        bounds = physiology.HeartRateZones.build(190, rest).lower_bounds[:5]
        assert ", ".join(f"{b:g}" for b in bounds) + " bpm" in derived


def test_the_guide_names_the_metrics() -> None:
    metrics = section("Metrics")
    for name in ("fithub_telemetry_batches_total{outcome}", "fithub_telemetry_samples_total"):
        assert f"`{name}`" in metrics
