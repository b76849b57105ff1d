"""Example access tokens in the docs are signed the way fithub signs them (RS256, not EdDSA)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from fithub.core.security.tokens import ALGORITHM

ROOT = Path(__file__).resolve().parents[3]
DOCUMENTS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").rglob("*.md")),
    ROOT / "docs" / "asyncapi.yaml",
]
JWT_HEADER = re.compile(
    r"(?<![.\w-])eyJ[A-Za-z0-9_-]+(?=\.)"
)  # base64url of '{"' then the rest of a header


def headers() -> list[tuple[str, dict[str, str]]]:
    found = []
    for path in DOCUMENTS:
        for match in JWT_HEADER.finditer(path.read_text()):
            segment = match.group(0)
            decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
            found.append((f"{path.relative_to(ROOT)}: {segment}", json.loads(decoded)))
    return found


def test_the_docs_show_example_tokens() -> None:
    assert len(headers()) >= 3  # docs/streaming.md, docs/asyncapi.yaml (two), docs/api.md


def test_every_example_token_names_the_algorithm_the_server_signs_with() -> None:
    wrong = [where for where, header in headers() if header.get("alg") != ALGORITHM]
    assert wrong == [], f"example tokens not signed with {ALGORITHM}: {wrong}"
