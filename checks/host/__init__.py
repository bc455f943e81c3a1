"""host check family (being built)."""
