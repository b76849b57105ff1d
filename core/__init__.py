"""fithub core: the Quart application, its configuration, storage and domain services."""
