"""Guidance catalogue (data files per source document) and compliance evaluation per site."""

from audit.guidance.catalogue import (
    Catalogue,
    Citation,
    Confidence,
    Control,
    Document,
    GuidanceError,
    default_catalogue,
    load_catalogue,
    registry_problems,
)

__all__ = [
    "Catalogue",
    "Citation",
    "Confidence",
    "Control",
    "Document",
    "GuidanceError",
    "default_catalogue",
    "load_catalogue",
    "registry_problems",
]
