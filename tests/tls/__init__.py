"""TLS family tests against the loopback lab (127.0.1.x foundation, 127.0.2.x TLS scenarios)."""
