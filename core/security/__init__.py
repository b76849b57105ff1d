"""Password hashing and token issuing."""
