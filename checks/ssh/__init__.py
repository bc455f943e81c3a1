"""ssh check family (being built)."""
