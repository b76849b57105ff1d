"""The deployment files parse and describe the services the project promises."""

from __future__ import annotations

import configparser
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def test_docker_compose_has_api_worker_postgres_redis() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"api", "worker", "postgres", "redis"} <= set(services)
    assert services["api"]["command"][:2] == ["fithub", "serve"]
    assert services["worker"]["command"][:2] == ["fithub", "worker"]
    env = services["api"]["environment"]
    assert env["FITHUB_DATABASE_URL"].startswith("postgresql://")
    assert env["FITHUB_REDIS_URL"].startswith("redis://")


def test_every_runtime_dependency_is_pinned() -> None:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    requirements = [
        line.strip()
        for section in (cfg["options"]["install_requires"], cfg["options.extras_require"]["dev"])
        for line in section.splitlines()
        if line.strip()
    ]
    assert requirements
    unpinned = [req for req in requirements if "==" not in req]
    assert unpinned == []


def test_each_top_level_folder_is_mapped_into_the_fithub_namespace() -> None:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    mapping = dict(
        line.replace(" ", "").split("=")
        for line in cfg["options"]["package_dir"].splitlines()
        if line.strip()
    )
    for folder in ("core", "plugins", "streaming", "vision", "notifiers", "migrations"):
        assert mapping[f"fithub.{folder}"] == folder
        assert (ROOT / folder / "__init__.py").exists()
