"""Chaos tests: real processes killed with SIGKILL in the middle of work (PostgreSQL + Redis)."""
