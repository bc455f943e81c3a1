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
from audit.guidance.compliance import (
    ComplianceReport,
    ControlResult,
    ControlStatus,
    ProvinceCompliance,
    SiteCompliance,
    evaluate,
    site_compliance_percentages,
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
    "site_compliance_percentages",
]
