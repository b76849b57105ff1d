"""Built-in notifier plugins, one module each."""
