"""Device connections: OAuth with vendors, encrypted tokens, reliable sync and normalised data."""
