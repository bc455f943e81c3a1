"""The signing family as the engine loads it (entry point `signing`): officials' signing certificates.

Not the package's `__init__`: the certificate worker processes (scan.py) import the package too,
and should not pay for the inventory and pydantic they never use.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from p06audit.family import Family, Section
from p06audit.inventory import ENV_NAME_PATTERN, Site


class SigningCertsSpec(BaseModel):
    """Where a site's officials' signing certificates, roster and trust anchors are."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sources: tuple[Path, ...] = Field(min_length=1)
    roster: Path | None = None
    trust_anchors: Path | None = None
    crl_files: tuple[Path, ...] = ()
    pkcs12_password_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)
    # Days before expiry at which SIGN-002 reports; None keeps checks/signing/policy.yaml's windows.
    warn_days: tuple[int, ...] | None = Field(default=None, min_length=1)

    @field_validator("warn_days")
    @classmethod
    def _positive_days(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if value is not None and any(d <= 0 for d in value):
            raise ValueError("warning windows are positive numbers of days")
        return value


class SigningSite(Section):
    """A site's `signing_certs` section."""

    signing_certs: SigningCertsSpec | None = None


def signing_of(site: Site) -> SigningCertsSpec | None:
    return site.part(SigningSite).signing_certs


FAMILY = Family(
    name="signing",
    package="p06audit.checks.signing",
    modules=("p06audit.checks.signing.sites", "p06audit.checks.signing.rules"),
    site_fields=SigningSite,
    lab="p06audit.checks.signing.lab",
    views=("p06audit.checks.signing.views:expiry_section",),
    commands=("p06audit.checks.signing.command",),
)
