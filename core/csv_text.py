"""Text for CSV cells that a spreadsheet opens: never a live formula."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str | None) -> str:
    """Free text, defused with a leading apostrophe when a spreadsheet would run it as a formula."""
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
