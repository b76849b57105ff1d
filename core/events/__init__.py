"""Domain events (``noun.verb``), written to an outbox in the same transaction as the change."""
