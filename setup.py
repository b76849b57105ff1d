"""Package list for the ``fithub`` distribution: each top-level folder becomes ``fithub.<folder>``."""

from pathlib import Path

from setuptools import find_packages, setup

MAPPED = ("core", "plugins", "streaming", "vision", "notifiers", "migrations")
# Folders of data files only (no __init__.py) that Python could still import as namespace
# packages: listed too, so that setuptools ships their files (package_data in setup.cfg) without
# warning that they are absent from ``packages``. ``{{package}}`` is not a name, so not a package.
DATA_FOLDERS = (
    Path("plugins/scaffold/template"),
    Path("core/notifications/templates"),  # Jinja2 templates of notifications
    Path("core/notifications/locale"),  # their Babel catalogs
    Path("plugins/food_table/data"),  # the built-in food table (USDA SR28)
)

packages = []
for folder in MAPPED:
    packages.append(f"fithub.{folder}")
    packages.extend(f"fithub.{folder}.{sub}" for sub in find_packages(folder))
for root in DATA_FOLDERS:
    for path in (root, *sorted(p for p in root.rglob("*") if p.is_dir())):
        if all(part.isidentifier() for part in path.parts):
            packages.append("fithub." + ".".join(path.parts))

setup(packages=packages)
