"""Workouts with their exercises and sets, templates (versioned) and weekly plans."""
