"""Coaching: trainer profiles, trainer-client relations, assignments."""
