"""The test family object: its text is checks.yaml beside this file; its checks are wired by the tests."""

from __future__ import annotations

from p06audit.family import Family

FAMILY = Family(name="tst", package="tests.core.tst_family", modules=())
