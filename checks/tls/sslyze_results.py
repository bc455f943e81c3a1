"""sslyze's scan results turned into the family's frozen observation parts.

Each scan command maps to one named part; a command that sslyze ran but could not complete becomes
an entry in `errors` with sslyze's reason (a message carrying sslyze's own last line), so only the
checks reading that part turn ERROR.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from sslyze.plugins.robot._robot_tester import RobotScanResultEnum
from sslyze.plugins.scan_commands import ScanCommand
from sslyze.scanner.models import AllScanCommandsAttempts
from sslyze.scanner.scan_command_attempt import ScanCommandAttemptStatusEnum

from p06audit.checks.tls.observations import (
    AcceptedSuite,
    AnchorSource,
    CertificateDeployment,
    HstsFacts,
    ProtocolResult,
    Weakness,
)
from p06audit.checks.tls.x509facts import certificate_facts, validate_chain
from p06audit.text import Message, say

PROTOCOL_COMMANDS: dict[str, ScanCommand] = {
    "SSL 2.0": ScanCommand.SSL_2_0_CIPHER_SUITES,
    "SSL 3.0": ScanCommand.SSL_3_0_CIPHER_SUITES,
    "TLS 1.0": ScanCommand.TLS_1_0_CIPHER_SUITES,
    "TLS 1.1": ScanCommand.TLS_1_1_CIPHER_SUITES,
    "TLS 1.2": ScanCommand.TLS_1_2_CIPHER_SUITES,
    "TLS 1.3": ScanCommand.TLS_1_3_CIPHER_SUITES,
}
WEAKNESS_COMMANDS = frozenset(
    {
        ScanCommand.HEARTBLEED,
        ScanCommand.OPENSSL_CCS_INJECTION,
        ScanCommand.ROBOT,
        ScanCommand.SESSION_RENEGOTIATION,
        ScanCommand.TLS_COMPRESSION,
    }
)
PART_NAMES: dict[ScanCommand, str] = {
    **{command: protocol for protocol, command in PROTOCOL_COMMANDS.items()},
    ScanCommand.CERTIFICATE_INFO: "certificate",
    ScanCommand.HTTP_HEADERS: "http_headers",
    **{command: "weaknesses" for command in WEAKNESS_COMMANDS},
}
_ROBOT_VULNERABLE = {RobotScanResultEnum.VULNERABLE_STRONG_ORACLE, RobotScanResultEnum.VULNERABLE_WEAK_ORACLE}


@dataclass(frozen=True)
class TrustAnchors:
    """The inventory's anchors (national bundle + system store unless disabled) and the public roots."""

    configured: tuple[x509.Certificate, ...]
    sources: tuple[AnchorSource, ...]
    public: tuple[x509.Certificate, ...]


def _last_line(trace: Any) -> str | Message:
    """The last line of sslyze's exception (its own words), or a message saying there was none."""
    if trace is None:
        return say("tls.no_details")
    return "".join(trace.format_exception_only()).strip().splitlines()[-1]


def connectivity_error(trace: Any) -> Message:
    """Why sslyze found no usable handshake (after the probe saw a TLS answer)."""
    return say("tls.no_handshake", detail=_last_line(trace))


def command_error(attempt: Any) -> Message | None:
    """sslyze's reason when a scan command could not complete, else None."""
    if attempt.status != ScanCommandAttemptStatusEnum.ERROR:
        return None
    reason = attempt.error_reason.value if attempt.error_reason else "ERROR"
    return say("tls.command_failed", reason=reason, detail=_last_line(attempt.error_trace))


def protocol_result(protocol: str, result: Any) -> ProtocolResult:
    suites = []
    for accepted in result.accepted_cipher_suites:
        key = accepted.ephemeral_key
        suites.append(
            AcceptedSuite(
                name=accepted.cipher_suite.name,
                key_exchange=key.type_name
                if key is not None
                else ("DH" if "_DHE_" in accepted.cipher_suite.name else None),
                key_exchange_bits=key.size if key is not None else None,
            )
        )
    return ProtocolResult(protocol, tuple(suites))


def deployments(result: Any, trust: TrustAnchors, now: datetime) -> tuple[CertificateDeployment, ...]:
    found = []
    for deployment in result.certificate_deployments:
        received: Sequence[x509.Certificate] = deployment.received_certificate_chain
        found.append(
            CertificateDeployment(
                chain=tuple(certificate_facts(c) for c in received),
                validation=validate_chain(received, trust.configured, now, trust.sources),
                publicly_trusted=validate_chain(received, trust.public, now, ()).trusted,
                ocsp_stapled=deployment.ocsp_response is not None,
                must_staple=deployment.leaf_certificate_has_must_staple_extension,
            )
        )
    return tuple(found)


def hsts(result: Any) -> HstsFacts:
    header = result.strict_transport_security_header
    return HstsFacts(
        present=header is not None,
        max_age=header.max_age if header is not None else None,
        include_subdomains=bool(header and header.include_subdomains),
        preload=bool(header and header.preload),
        redirected_to=result.http_path_redirected_to,
    )


def http_error(result: Any) -> Message | None:
    """The HTTP exchange can fail after a good handshake (no HTTP behind TLS, reset, garbage)."""
    if result.http_error_trace is None:
        return None
    return say("tls.http_failed", detail=_last_line(result.http_error_trace))


def weaknesses(attempts: AllScanCommandsAttempts, commands: frozenset[ScanCommand]) -> tuple[Weakness, ...]:
    """One Weakness per completed vulnerability test among `commands`, with sslyze's result value."""
    found: list[Weakness] = []

    def done(command: ScanCommand) -> Any:
        attempt = getattr(attempts, command.value)
        return attempt.result if command in commands and attempt.result is not None else None

    if (r := done(ScanCommand.HEARTBLEED)) is not None:
        hit = r.is_vulnerable_to_heartbleed
        found.append(Weakness("heartbleed", hit, f"is_vulnerable_to_heartbleed={hit}"))
    if (r := done(ScanCommand.OPENSSL_CCS_INJECTION)) is not None:
        hit = r.is_vulnerable_to_ccs_injection
        found.append(Weakness("ccs_injection", hit, f"is_vulnerable_to_ccs_injection={hit}"))
    if (r := done(ScanCommand.ROBOT)) is not None:
        unknown = r.robot_result == RobotScanResultEnum.UNKNOWN_INCONSISTENT_RESULTS
        vulnerable = None if unknown else r.robot_result in _ROBOT_VULNERABLE
        found.append(Weakness("robot", vulnerable, f"robot_result={r.robot_result.name}"))
    if (r := done(ScanCommand.SESSION_RENEGOTIATION)) is not None:
        secure = r.supports_secure_renegotiation
        found.append(
            Weakness("insecure_renegotiation", not secure, f"supports_secure_renegotiation={secure}")
        )
        found.append(
            Weakness(
                "client_renegotiation",
                r.is_vulnerable_to_client_renegotiation_dos,
                f"client_renegotiations_success_count={r.client_renegotiations_success_count}",
            )
        )
    if (r := done(ScanCommand.TLS_COMPRESSION)) is not None:
        hit = r.supports_compression
        found.append(Weakness("compression", hit, f"supports_compression={hit}"))
    return tuple(found)
