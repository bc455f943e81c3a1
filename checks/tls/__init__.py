"""tls check family (being built)."""
