"""The public provider API helpers: record validation, Retry-After, token responses, PKCE, settings."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest

from fithub.core.devices.settings import provider_app_settings
from fithub.plugins import Activity, DailySummary, Sample, SampleKind, Source, validate_record
from fithub.plugins.errors import ProviderMalformedResponse
from fithub.plugins.http import parse_retry_after
from fithub.plugins.oauth import pkce_pair, split_scopes, token_set_from_response
from fithub.plugins.records import record_problems
from fithub.plugins.types import TokenSet

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_valid_records_pass_and_broken_ones_say_why() -> None:
    good = Activity(source=Source("acme", "a1"), start=NOW, end=NOW + timedelta(hours=1),
                    sport="running")  # fmt: skip
    assert validate_record(good, "acme") is good
    naive = Sample(source=Source("acme", "s1"), kind=SampleKind.HEART_RATE,
                   time=datetime(2024, 5, 1), value=60)  # fmt: skip
    assert record_problems(naive) == ["time must be a timezone-aware datetime"]
    backwards = Activity(source=Source("acme", ""), start=NOW, end=NOW - timedelta(1), sport="")
    problems = record_problems(backwards, "acme")
    assert "source needs a provider and an external_id" in problems
    assert "end is before start" in problems and "sport must not be empty" in problems
    other = DailySummary(source=Source("else", "d1"), day=date(2024, 5, 1), steps=-3)
    assert record_problems(other, "acme") == [
        "source.provider is 'else', expected 'acme'", "steps must not be negative"]  # fmt: skip
    with pytest.raises(ValueError, match="DailySummary d1"):
        validate_record(other, "acme")


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 01 May 2024 12:00:30 GMT", now=NOW) == 30.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_token_responses_keep_what_the_vendor_did_not_repeat() -> None:
    first = token_set_from_response(
        {"access_token": "a1", "refresh_token": "r1", "expires_in": 3600, "scope": "x y"},
        vendor="acme", now=NOW)  # fmt: skip
    assert first.expires_at == NOW + timedelta(hours=1) and first.scopes == ("x", "y")
    assert "a1" not in repr(first) and "r1" not in repr(first)
    previous = TokenSet("a0", "r0", None, ("x",), "user-9")
    again = token_set_from_response({"access_token": "a2", "expires_at": NOW.timestamp()},
                                    vendor="acme", previous=previous)  # fmt: skip
    assert (again.refresh_token, again.scopes, again.external_user_id) == ("r0", ("x",), "user-9")
    assert again.expires_at == NOW
    with pytest.raises(ProviderMalformedResponse):
        token_set_from_response({"token": "nope"}, vendor="acme")
    assert split_scopes("read,activity:read_all") == ("read", "activity:read_all")


def test_pkce_pairs_follow_rfc_7636() -> None:
    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128
    digest = hashlib.sha256(verifier.encode()).digest()
    assert challenge == base64.urlsafe_b64encode(digest).decode().rstrip("=")


def test_provider_app_settings_come_from_prefixed_variables(monkeypatch) -> None:
    monkeypatch.setenv("FITHUB_ACME_CLIENT_ID", "cid")
    monkeypatch.setenv("FITHUB_ACME_CLIENT_SECRET", "cs")
    monkeypatch.setenv("FITHUB_ACME_OPTIONS", '{"webhook_verification_token": "t"}')
    app = provider_app_settings("acme")
    assert app.configured and app.client_secret.get_secret_value() == "cs"
    assert app.options == {"webhook_verification_token": "t"} and "cs" not in repr(app)
    assert not provider_app_settings("nobody").configured
