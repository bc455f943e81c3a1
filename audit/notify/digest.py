"""What a digest says, computed from the run and the previous one (pure; no mail, no I/O).

New failures are FAIL findings whose (check, target) was not FAIL in the previous run; certificate
warnings are WARNs of the configured expiry checks that were not WARN before; hosts in ERROR are
every host the run could not fully check, with the reasons (each said once).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from p06audit.history.diff import index_findings
from p06audit.model import Finding, Run, Status
from p06audit.text import Message, say

MAX_REASONS = 3


@dataclass(frozen=True)
class HostInError:
    site: str
    host: str
    checks: tuple[str, ...]
    reasons: tuple[Message, ...]


@dataclass(frozen=True)
class Digest:
    run: Run
    previous_id: str | None
    new_failures: tuple[Finding, ...]
    certificate_warnings: tuple[Finding, ...]
    hosts_in_error: tuple[HostInError, ...]

    @property
    def empty(self) -> bool:
        return not (self.new_failures or self.certificate_warnings or self.hosts_in_error)


def _entered(run: Run, previous: Run | None, status: Status, checks: Collection[str] | None) -> list[Finding]:
    """Findings now in `status` whose key was in another status (or absent) in the previous run."""
    before = index_findings(previous.findings) if previous else {}
    entered = []
    for key, finding in index_findings(run.findings).items():
        if finding.status is not status or (checks is not None and finding.check_id not in checks):
            continue
        earlier = before.get(key)
        if earlier is None or earlier.status is not status:
            entered.append(finding)
    return sorted(entered, key=lambda f: (-f.severity.rank, f.target.key, f.check_id))


def _reasons(finding: Finding) -> list[Message]:
    """Why the finding is ERROR. A root cause's own words name the checks it blocked, which the
    digest lists per host already: its reason alone is kept, so one reason shared by every family
    of a host (a scanner that never answered) is said once."""
    if not finding.blocked or "reason" not in finding.message.params:
        return [finding.message]
    given = finding.message.params["reason"]
    return [r if isinstance(r, Message) else say("core.detail", text=str(r)) for r in _as_list(given)]


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _hosts_in_error(run: Run) -> tuple[HostInError, ...]:
    grouped: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in run.findings:
        if finding.status is Status.ERROR:
            target = finding.target
            grouped[(target.site, target.host or target.address or target.key)].append(finding)
    return tuple(
        HostInError(
            site=site,
            host=host,
            checks=tuple(sorted({c for f in found for c in (f.blocked or (f.check_id,))})),
            reasons=tuple(dict.fromkeys(r for f in found for r in _reasons(f)))[:MAX_REASONS],
        )
        for (site, host), found in sorted(grouped.items())
    )


def build_digest(run: Run, previous: Run | None, certificate_checks: Collection[str]) -> Digest:
    return Digest(
        run=run,
        previous_id=previous.id if previous else None,
        new_failures=tuple(_entered(run, previous, Status.FAIL, None)),
        certificate_warnings=tuple(_entered(run, previous, Status.WARN, certificate_checks)),
        hosts_in_error=_hosts_in_error(run),
    )
