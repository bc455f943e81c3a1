"""The signing-certificate policy (policy.yaml beside this file), validated once and shared.

The collector reads the identifier OIDs and roster vocabulary from it; the rules read every limit.
"""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from p06audit.checks.signing.x509der import KEY_USAGE_BITS
from p06audit.model import Severity
from p06audit.yamlfile import load_packaged

_STRICT = ConfigDict(extra="forbid", frozen=True)
KEY_USAGE_NAMES = frozenset(KEY_USAGE_BITS)


class Expiry(BaseModel):
    model_config = _STRICT
    warn_days: tuple[int, ...] = Field(min_length=1)
    severities: tuple[Severity, ...] = Field(min_length=1)
    source: str = Field(min_length=1)


class Keys(BaseModel):
    model_config = _STRICT
    rsa_min_bits: int = Field(gt=0)
    ec_min_bits: int = Field(gt=0)
    source: str = Field(min_length=1)
    roca_source: str = Field(min_length=1)


class SignatureHashes(BaseModel):
    model_config = _STRICT
    allowed: frozenset[str]
    source: str = Field(min_length=1)


class KeyUsage(BaseModel):
    model_config = _STRICT
    required: frozenset[str]
    source: str = Field(min_length=1)

    @field_validator("required")
    @classmethod
    def _known(cls, value: frozenset[str]) -> frozenset[str]:
        unknown = value - KEY_USAGE_NAMES
        if unknown:
            raise ValueError(f"unknown key usage names {sorted(unknown)}")
        return value


class Usage(BaseModel):
    model_config = _STRICT
    oid: str = Field(pattern=r"^\d+(\.\d+)+$")
    name: str = Field(min_length=1)
    source: str = Field(min_length=1)


class ExtendedKeyUsage(BaseModel):
    model_config = _STRICT
    allowed: tuple[Usage, ...] = Field(min_length=1)
    source: str = Field(min_length=1)

    def allowed_oids(self) -> frozenset[str]:
        return frozenset(u.oid for u in self.allowed)


class Regime(BaseModel):
    model_config = _STRICT
    new_years: int = Field(gt=0)
    renewed_years: int = Field(gt=0)
    source: str = Field(min_length=1)


class IssuerRegime(BaseModel):
    model_config = _STRICT
    issuer_contains: str = Field(min_length=1)
    regime: str


class Validity(BaseModel):
    model_config = _STRICT
    default_regime: str
    regimes: dict[str, Regime]
    issuer_regimes: tuple[IssuerRegime, ...] = ()

    @model_validator(mode="after")
    def _regimes_exist(self) -> Validity:
        named = {self.default_regime} | {r.regime for r in self.issuer_regimes}
        missing = named - set(self.regimes)
        if missing:
            raise ValueError(f"regimes {sorted(missing)} are named but not defined")
        return self

    def regime_for(self, issuer_dn: str) -> tuple[str, Regime]:
        folded = issuer_dn.casefold()
        for rule in self.issuer_regimes:
            if rule.issuer_contains.casefold() in folded:
                return rule.regime, self.regimes[rule.regime]
        return self.default_regime, self.regimes[self.default_regime]


class SubjectIdentifiers(BaseModel):
    model_config = _STRICT
    oids: tuple[str, ...] = Field(min_length=1)
    source: str = Field(min_length=1)


STATUSES = ("active", "left", "retired", "transferred", "deceased", "suspended")  # first match wins


class RosterStatuses(BaseModel):
    """Roster status vocabulary; `active` is the one status that must hold a valid certificate."""

    model_config = _STRICT
    active: tuple[str, ...]
    left: tuple[str, ...]
    retired: tuple[str, ...]
    transferred: tuple[str, ...]
    deceased: tuple[str, ...]
    suspended: tuple[str, ...]
    source: str = Field(min_length=1)

    def by_word(self) -> dict[str, str]:
        """Folded word → canonical status, built once per roster rather than searched per row
        (a province lists 100,000 officials); a word not in it is not a known status."""
        words: dict[str, str] = {}
        for status in STATUSES:
            for word in getattr(self, status):
                words.setdefault(fold(word), status)
        return words


class SigningPolicy(BaseModel):
    model_config = _STRICT
    expiry: Expiry
    keys: Keys
    signature_hashes: SignatureHashes
    key_usage: KeyUsage
    extended_key_usage: ExtendedKeyUsage
    validity: Validity
    subject_identifiers: SubjectIdentifiers
    roster_statuses: RosterStatuses


@lru_cache(maxsize=4096)  # units, positions and statuses: a small vocabulary repeated 100,000s of times
def fold(text: str) -> str:
    """Compare names the way a person would: Unicode NFC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@cache
def load_policy() -> SigningPolicy:
    return load_packaged(__package__, "policy.yaml", SigningPolicy)
