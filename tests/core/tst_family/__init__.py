"""A small family for the runner's tests: its checks.yaml, one per-host probe, rules for the tests."""
