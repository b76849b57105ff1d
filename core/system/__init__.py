"""Operational endpoints: health, readiness, metrics, plugin list, maintenance jobs."""
