"""Check families. Each subpackage registers its collector and checks when imported (entry points)."""
