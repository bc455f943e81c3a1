"""network check family (being built)."""
