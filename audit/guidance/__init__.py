"""Guidance catalogue (data files per source document) and compliance evaluation per site."""

from p06audit.guidance.catalogue import (
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
from p06audit.guidance.compliance import (
    ComplianceReport,
    ControlResult,
    ControlStatus,
    ProvinceCompliance,
    SiteCompliance,
    evaluate,
)

__all__ = [
    "Catalogue",
    "Citation",
    "ComplianceReport",
    "Confidence",
    "Control",
    "ControlResult",
    "ControlStatus",
    "Document",
    "GuidanceError",
    "ProvinceCompliance",
    "SiteCompliance",
    "default_catalogue",
    "evaluate",
    "load_catalogue",
    "registry_problems",
]
