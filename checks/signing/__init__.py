"""signing check family (being built)."""
