"""Small pieces of English that findings' summaries share, so every check says them alike."""

from __future__ import annotations


def days(count: int) -> str:
    """'1 day', '3 days' (a finding reads "expired 1 day ago", not "1 days ago")."""
    return f"{count} day" if abs(count) == 1 else f"{count} days"
