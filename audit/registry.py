"""The one registry of checks and collectors.

A check is a pure rule function with declared metadata; a collector is the batched I/O of a family.
Built-in families and third-party plugins both register by being imported through the entry-point
group `p06audit.checks`, so the core never names a family.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, TypeVar

from audit.errors import RegistryError, UsageError
from audit.model import Observation, Outcome, Severity, Status

if TYPE_CHECKING:
    from audit.inventory import Host, Inventory, Site
    from audit.options import RunOptions

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "p06audit.checks"
CHECK_ID = re.compile(r"^[A-Z]{2,8}-\d{3}$")
CONTROL_ID = re.compile(r"^[A-Z]{2,8}(-[A-Z0-9]{2,8})+$")
KNOWN_NEEDS = frozenset({"tls", "ssh", "ssh_credentials"})

ObsT = TypeVar("ObsT", bound=Observation)
T = TypeVar("T")
A = TypeVar("A")
_MISSING = object()


class ObservationIndex:
    """All observations of a run, so a rule may join (e.g. certificates against the roster).

    `derived` keeps what rules build from the whole run (an index of the roster, say) for the
    other rules that need it, so a join over 100,000 items is made once, not once per check."""

    def __init__(self, observations: Iterable[Observation]) -> None:
        self._all = tuple(observations)
        self._by_type: dict[type[Observation], tuple[Observation, ...]] = {}
        self._derived: dict[Callable[..., Any], Any] = {}

    def __iter__(self) -> Any:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def of_type(self, kind: type[ObsT]) -> tuple[ObsT, ...]:
        found = self._by_type.get(kind)
        if found is None:
            found = self._by_type[kind] = tuple(o for o in self._all if type(o) is kind)
        return found  # type: ignore[return-value]

    def derived(self, build: Callable[[A], T], argument: A) -> T:
        """`build(argument)`, computed at the first call for `build` and shared by every later one
        (a rule may ask once per item: the lookup is all it costs then)."""
        found = self._derived.get(build, _MISSING)
        if found is _MISSING:
            found = self._derived[build] = build(argument)
        return found  # type: ignore[no-any-return]


@dataclass(frozen=True)
class RuleContext:
    """What a rule may read besides its observation. Nothing here performs I/O."""

    inventory: Inventory
    options: RunOptions
    host: Host | None
    site: Site | None
    observations: ObservationIndex

    def derived(self, build: Callable[[RuleContext], T]) -> T:
        """`build(self)` once per run, shared by every rule that asks: for joins over the whole
        run, so `build` may read the inventory, options and observations, not `host` or `site`."""
        return self.observations.derived(build, self)


Rule = Callable[[Any, RuleContext], Outcome | None]
# A batch rule judges every observation of its type at one (host, site) in one call: for checks
# that fold many items into one finding or compare items with each other. It returns the
# (observation, Outcome) pairs to report; an Outcome may name its own target (a whole site).
BatchRule = Callable[[Sequence[Any], RuleContext], Iterable[tuple[Any, Outcome]]]
RuleT = TypeVar("RuleT", bound=Callable[..., Any])


def describe_error(exc: BaseException) -> str:
    """An exception as one line for a finding: its type and message (a timeout's message says it all)."""
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {text}"


def rule_failed(exc: BaseException) -> Outcome:
    """The verdict on an item whose rule raised: ERROR with the reason, and the run goes on."""
    return Outcome(Status.ERROR, f"Check failed internally: {describe_error(exc)}")


@dataclass(frozen=True)
class AppliesTo:
    """Which hosts a check is for: any of `roles` (empty = all), all of `needs`, any of `site_kinds`."""

    roles: frozenset[str] = frozenset()
    needs: frozenset[str] = frozenset()
    site_kinds: frozenset[str] = frozenset()

    def matches(self, host: Host | None, site: Site | None) -> bool:
        if self.site_kinds and (site is None or site.data.kind.value not in self.site_kinds):
            return False
        if host is None:
            return True
        if self.roles and not (self.roles & host.roles):
            return False
        return all(_host_has(host, need) for need in self.needs)

    def describe(self) -> str:
        parts = []
        if self.roles:
            parts.append("roles: " + ", ".join(sorted(self.roles)))
        if self.needs:
            parts.append("needs: " + ", ".join(sorted(self.needs)))
        if self.site_kinds:
            parts.append("sites: " + ", ".join(sorted(self.site_kinds)))
        return "; ".join(parts) or "all"


def _host_has(host: Host, need: str) -> bool:
    if need == "tls":
        return bool(host.data.tls)
    if need == "ssh":
        return host.data.ssh is not None
    if need == "ssh_credentials":
        return host.data.ssh is not None and host.data.ssh.has_credentials
    raise RegistryError(f"unknown host requirement '{need}'")


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    severity: Severity
    family: str
    controls: tuple[str, ...]
    remediation: str
    observes: type[Observation]
    applies_to: AppliesTo
    rule: Rule | BatchRule
    module: str
    batch: bool = False  # `rule` is a BatchRule


@dataclass(frozen=True)
class CollectContext:
    """What a collector receives: the validated inventory, run options and the checks it serves."""

    inventory: Inventory
    options: RunOptions
    checks: tuple[CheckSpec, ...]

    def wants(self, check_id: str) -> bool:
        return any(c.id == check_id for c in self.checks)


HostCollector = Callable[["Host", CollectContext], Sequence[Observation]]
BatchCollector = Callable[[Sequence["Host"], CollectContext], Sequence[Observation]]


@dataclass(frozen=True)
class CollectorSpec:
    """A family's I/O. Per-host collectors run on nornir's threaded runner; batch ones once per run."""

    family: str
    func: Callable[..., Sequence[Observation]]
    per_host: bool
    produces: tuple[type[Observation], ...]
    module: str


@dataclass
class Registry:
    checks: dict[str, CheckSpec] = field(default_factory=dict)
    collectors: dict[str, list[CollectorSpec]] = field(default_factory=dict)
    _loaded: bool = False
    _imported: set[str] = field(default_factory=set)

    def add_check(self, spec: CheckSpec) -> None:
        if not CHECK_ID.match(spec.id):
            raise RegistryError(f"check id '{spec.id}' in {spec.module} must look like TLS-002")
        if spec.id in self.checks:
            other = self.checks[spec.id].module
            raise RegistryError(f"check id {spec.id} is declared twice ({other} and {spec.module})")
        bad = [c for c in spec.controls if not CONTROL_ID.match(c)]
        if not spec.controls or bad:
            raise RegistryError(f"check {spec.id} needs guidance control ids like VN-NET-01, got {bad}")
        unknown_needs = spec.applies_to.needs - KNOWN_NEEDS
        if unknown_needs:
            raise RegistryError(f"check {spec.id} needs unknown host features {sorted(unknown_needs)}")
        if not spec.title.strip() or not spec.remediation.strip():
            raise RegistryError(f"check {spec.id} needs a title and a remediation")
        self.checks[spec.id] = spec

    def add_collector(self, spec: CollectorSpec) -> None:
        self.collectors.setdefault(spec.family, []).append(spec)

    def load_plugins(self, families: Iterable[str] | None = None) -> None:
        """Import the modules registered under the entry-point group: all, or only the named families.

        Each is imported once; a registry built with `_loaded=True` is sealed and imports nothing.
        """
        if self._loaded:
            return
        available = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
        wanted = sorted(available) if families is None else sorted(set(families))
        unknown = [name for name in wanted if name not in available]
        if unknown:
            raise UsageError(f"unknown check family {unknown}; installed: {', '.join(sorted(available))}")
        for name in wanted:
            if name in self._imported:
                continue
            self._imported.add(name)
            ep = available[name]
            try:
                ep.load()
            except RegistryError:
                raise
            except Exception as exc:
                raise RegistryError(f"check plugin '{ep.name}' ({ep.value}) failed to load: {exc}") from exc

    def families(self) -> list[str]:
        return sorted({c.family for c in self.checks.values()})

    def checks_observing(self, kind: type[Observation]) -> list[CheckSpec]:
        return [c for c in self.checks.values() if c.observes is kind]


REGISTRY = Registry()


def check(
    *,
    id: str,
    title: str,
    severity: Severity,
    controls: Sequence[str],
    remediation: str,
    observes: type[Observation],
    roles: Iterable[str] = (),
    needs: Iterable[str] = (),
    site_kinds: Iterable[str] = (),
    family: str | None = None,
    batch: bool = False,
) -> Callable[[RuleT], RuleT]:
    """Declare a check: its metadata plus the pure rule that turns one observation into an Outcome
    (or, with `batch=True`, a BatchRule that judges all of a site's or host's observations at once)."""

    def register(rule: RuleT) -> RuleT:
        REGISTRY.add_check(
            CheckSpec(
                id=id,
                title=title,
                severity=severity,
                family=family or id.split("-")[0].lower(),
                controls=tuple(controls),
                remediation=remediation,
                observes=observes,
                applies_to=AppliesTo(frozenset(roles), frozenset(needs), frozenset(site_kinds)),
                rule=rule,
                module=rule.__module__,
                batch=batch,
            )
        )
        return rule

    return register


def collector(
    *, family: str, produces: Sequence[type[Observation]], per_host: bool = False
) -> Callable[[Callable[..., Sequence[Observation]]], Callable[..., Sequence[Observation]]]:
    """Declare a family's collector. `per_host=True` runs it as a nornir task for each host."""

    def register(func: Callable[..., Sequence[Observation]]) -> Callable[..., Sequence[Observation]]:
        REGISTRY.add_collector(CollectorSpec(family, func, per_host, tuple(produces), func.__module__))
        return func

    return register
