"""Benchmarks for fithub; see bench/README.md. Run them as modules: ``python -m bench.http``."""
