"""Personal records, goals and training analytics, all computed from logged data."""
