"""The ``fithub`` command line, run as a subprocess against the test server's database."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.integration.helpers import login, login_ok, random_email

SUBCOMMANDS = ["serve", "worker", "migrate", "seed-demo", "create-admin", "analyze"]


def test_help_lists_every_subcommand(server):
    result = server.run_cli("--help")
    assert result.returncode == 0, result.stderr
    for name in SUBCOMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_subcommand_help(server, name):
    result = server.run_cli(name, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage:") and name in result.stdout.splitlines()[0]


def test_unknown_subcommand_fails(server):
    result = server.run_cli("no-such-command")
    assert result.returncode != 0
    assert "No such command" in result.stderr


async def test_migrate_is_idempotent(server, api, user):
    for _ in range(2):
        result = server.run_cli("migrate")
        assert result.returncode == 0, result.stderr
        assert "up to date" in result.stderr
    await login_ok(api, user.email, PASSWORD)  # the data is still there, the server still serves


async def test_seed_demo_leaves_a_populated_database_alone(server, api, user):
    result = server.run_cli("seed-demo")
    assert result.returncode == 0, result.stderr
    assert "not loaded" in result.stdout
    demo_login = result.stdout.split("demo login: ", 1)[1].strip()
    demo_email, demo_password = demo_login.split(" / ")
    assert demo_email == "demo@fithub.example" and demo_password
    response = await login(api, demo_email, demo_password)
    assert response.status_code == 401, response.text  # nothing was created


async def test_create_admin_makes_a_working_administrator(api, admin):
    """The session's ``admin`` fixture was made by ``fithub create-admin``."""
    tokens = await login_ok(api, admin["email"], admin["password"])
    me = await api.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert (me.json()["email"], me.json()["role"]) == (admin["email"], "admin")


async def test_create_admin_promotes_an_existing_account(server, api, user):
    result = server.run_cli("create-admin", "--email", user.email.upper(), "--password", PASSWORD)
    assert result.returncode == 0, result.stderr
    assert "promoted" in result.stdout
    assert (await api.get("/api/v1/admin/audit-events", headers=user.auth)).status_code == 200


async def test_create_admin_rejects_a_short_password(server, api):
    email = random_email("cli-admin")
    too_short = "Tiny-Pw"
    result = server.run_cli("create-admin", "--email", email, "--password", too_short)
    assert result.returncode != 0
    assert "password" in result.stderr and "at least 10 characters" in result.stderr
    assert too_short not in result.stderr + result.stdout  # never echo the rejected secret
    assert (await login(api, email, too_short)).status_code == 401


def test_create_admin_reads_the_password_from_stdin(server):
    email = random_email("cli-admin")
    result = server.run_cli("create-admin", "--email", email, input_text=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert f"created administrator {email}" in result.stdout
