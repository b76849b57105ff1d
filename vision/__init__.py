"""fithub vision (built in a later issue)."""
