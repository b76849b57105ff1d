"""Audit log: who did what to which data, when and from where."""
