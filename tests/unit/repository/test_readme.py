"""README.md's command table lists every ``fithub`` command with its arguments and options."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from fithub.core.cli import main

README = Path(__file__).resolve().parents[3] / "README.md"


def commands(group: click.Group = main, prefix: str = "fithub") -> dict[str, click.Command]:
    """Every runnable command by its full name (``fithub plugin new``), groups walked through."""
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        full = f"{prefix} {name}"
        if isinstance(command, click.Group):
            found.update(commands(command, full))
        else:
            found[full] = command
    return found


def table_rows() -> dict[str, str]:
    """README's command table: the command's name (options left out) -> its whole row."""
    rows = {}
    for line in README.read_text().splitlines():
        match = re.match(r"^\| `(fithub(?: [a-z][a-z-]*)*)", line)
        if match:
            rows[match.group(1)] = line
    return rows


def test_there_are_commands_and_a_table() -> None:
    assert {"fithub serve", "fithub plugin new", "fithub rekey-device-tokens"} <= set(commands())
    assert len(table_rows()) >= len(commands())


@pytest.mark.parametrize("name", sorted(commands()))
def test_each_command_is_in_the_readme_with_its_arguments_and_options(name: str) -> None:
    row = table_rows().get(name)
    assert row is not None, f"README.md's command table lacks `{name}`"
    usage = row.split("`")[1]
    for param in commands()[name].params:
        if isinstance(param, click.Argument):
            assert param.human_readable_name in usage, f"`{name}`: argument {param.name}"
        elif isinstance(param, click.Option) and not param.hidden:
            flag = max(param.opts, key=len)
            assert flag in usage, f"README.md: `{name}` lacks its option {flag}"


def test_the_readme_lists_no_command_that_does_not_exist() -> None:
    extra = set(table_rows()) - set(commands()) - {"fithub"}
    assert extra == set()
    assert "fithub --version" in README.read_text()
