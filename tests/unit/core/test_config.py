"""Settings refuse unsafe combinations."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fithub.core.config import Settings


def test_fast_password_hashing_is_refused_outside_tests() -> None:
    with pytest.raises(ValidationError, match="test-only-fast"):
        Settings(env="production", password_hashing="test-only-fast")
    assert Settings(env="test", password_hashing="test-only-fast").password_hashing == "test-only-fast"


def test_postgresql_urls_are_normalised_for_tortoise() -> None:
    assert Settings(database_url="postgresql://u@h/db").db_url == "postgres://u@h/db"
