"""Names shared by the probe family and the tests, importable without registering the probe."""

CHECK_ID = "DPROBE-001"
