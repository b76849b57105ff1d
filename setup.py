"""Package list for the ``fithub`` distribution: each top-level folder becomes ``fithub.<folder>``."""

from setuptools import find_packages, setup

MAPPED = ("core", "plugins", "streaming", "vision", "notifiers", "migrations")

packages = []
for folder in MAPPED:
    packages.append(f"fithub.{folder}")
    packages.extend(f"fithub.{folder}.{sub}" for sub in find_packages(folder))

setup(packages=packages)
