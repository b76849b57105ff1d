"""fithub streaming (built in a later issue)."""
