"""The one registry of families, their checks and their collectors.

Families are objects (`p06audit.family.Family`) named by the entry-point group `p06audit.checks`;
built-in families register exactly like third-party ones, so the core never names a family.
Registering a family reads nothing but the object. Loading it imports its modules and pairs each
`@rule` function with its entry in the family's checks.yaml; a clashing family name or check ID,
a rule without text or text without a rule, is refused with the place of both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from p06audit.checkdata import CHECKS_FILE, ChecksFile, add_texts, read_checks_file
from p06audit.errors import RegistryError, UsageError
from p06audit.family import Family, Need, resolve
from p06audit.model import Observation, Outcome, Severity, Status
from p06audit.text import TEXTS, say

if TYPE_CHECKING:
    from p06audit.inventory import Host, Inventory, Site
    from p06audit.options import RunOptions

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "p06audit.checks"
RULE_MARK = "__p06audit_rule__"
COLLECTOR_MARK = "__p06audit_collector__"

ObsT = TypeVar("ObsT", bound=Observation)
T = TypeVar("T")
A = TypeVar("A")
F = TypeVar("F", bound=Callable[..., Any])
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


def describe_error(exc: BaseException) -> str:
    """An exception as one line for a finding: its type and message (a timeout's message says it all)."""
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {text}"


def rule_failed(exc: BaseException) -> Outcome:
    """The verdict on an item whose rule raised: ERROR with the reason, and the run goes on."""
    return Outcome(Status.ERROR, say("core.rule_failed", error=describe_error(exc)))


@dataclass(frozen=True)
class AppliesTo:
    """Which hosts a check is for: any of `roles` (empty = all), all of `needs`, any of `site_kinds`."""

    roles: frozenset[str] = frozenset()
    needs: tuple[tuple[str, Need], ...] = ()
    site_kinds: frozenset[str] = frozenset()

    def matches(self, host: Host | None, site: Site | None) -> bool:
        if self.site_kinds and (site is None or site.data.kind.value not in self.site_kinds):
            return False
        if host is None:
            return True
        if self.roles and not (self.roles & host.roles):
            return False
        return all(has(host) for _, has in self.needs)

    def describe(self) -> str:
        parts = []
        if self.roles:
            parts.append("roles: " + ", ".join(sorted(self.roles)))
        if self.needs:
            parts.append("needs: " + ", ".join(name for name, _ in self.needs))
        if self.site_kinds:
            parts.append("sites: " + ", ".join(sorted(self.site_kinds)))
        return "; ".join(parts) or "all"


@dataclass(frozen=True)
class RuleMark:
    """What `@rule` records on a function: which check it decides and what it reads."""

    check_id: str
    observes: type[Observation]
    roles: frozenset[str]
    needs: tuple[str, ...]
    site_kinds: frozenset[str]
    batch: bool


@dataclass(frozen=True)
class CollectorMark:
    produces: tuple[type[Observation], ...]
    per_host: bool


def rule(
    check_id: str,
    *,
    observes: type[Observation],
    roles: Iterable[str] = (),
    needs: Iterable[str] = (),
    site_kinds: Iterable[str] = (),
    batch: bool = False,
) -> Callable[[F], F]:
    """Mark a pure function as the rule of `check_id` (its text is in the family's checks.yaml).

    The function turns one observation into an Outcome, or with `batch=True` judges all of a
    site's or host's observations of its type at once. Nothing is registered on import: the
    registry finds marked functions in the modules a family names."""

    mark = RuleMark(check_id, observes, frozenset(roles), tuple(needs), frozenset(site_kinds), batch)

    def apply(func: F) -> F:
        setattr(func, RULE_MARK, mark)
        return func

    return apply


def collects(*produces: type[Observation], per_host: bool = False) -> Callable[[F], F]:
    """Mark a family's collector. `per_host=True` runs it as a nornir task for each host."""

    mark = CollectorMark(tuple(produces), per_host)

    def apply(func: F) -> F:
        setattr(func, COLLECTOR_MARK, mark)
        return func

    return apply


@dataclass(frozen=True)
class CheckSpec:
    id: str
    family: str
    severity: Severity
    observes: type[Observation]
    applies_to: AppliesTo
    rule: Rule | BatchRule
    module: str
    batch: bool = False  # `rule` is a BatchRule
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CollectContext:
    """What a collector receives: the validated inventory, run options and the checks it serves."""

    inventory: Inventory
    options: RunOptions
    checks: tuple[CheckSpec, ...]
    progress: Callable[[str, str], None] | None = None

    def wants(self, check_id: str) -> bool:
        return any(c.id == check_id for c in self.checks)

    def examined(self, host: str, detail: str = "") -> None:
        """A batch collector is done with `host` (or one of its endpoints, named by `detail`): the
        run's progress shows it as it happens rather than when the whole batch ends."""
        if self.progress is not None:
            self.progress(host, detail or host)


@dataclass(frozen=True)
class CollectorSpec:
    """A family's I/O. Per-host collectors run as nornir tasks; batch ones once per run."""

    family: str
    func: Callable[..., Sequence[Observation]]
    per_host: bool
    produces: tuple[type[Observation], ...]
    module: str


@dataclass(frozen=True)
class CheckInfo:
    """A check as its checks.yaml describes it (the catalogue outputs such as SARIF list)."""

    id: str
    family: str
    severity: Severity | None  # None: the family's root-cause check ("could not examine")
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FamilyText:
    """A family's checks.yaml as loaded: severities and tags per check, and its root-cause check."""

    family: str
    path: Path
    data: ChecksFile

    @property
    def not_examined(self) -> str:
        return self.data.not_examined.id


@dataclass
class Registry:
    families: dict[str, Family] = field(default_factory=dict)
    checks: dict[str, CheckSpec] = field(default_factory=dict)
    collectors: dict[str, list[CollectorSpec]] = field(default_factory=dict)
    texts: dict[str, FamilyText] = field(default_factory=dict)
    sealed: bool = False  # a registry built by hand: nothing is discovered through entry points
    _discovered: bool = False
    _loaded: set[str] = field(default_factory=set)

    def add_family(self, family: Family, origin: str = "") -> None:
        """Register a family object; a second family of the same name is refused."""
        if not isinstance(family, Family):
            raise RegistryError(f"check plugin {origin or family!r} does not name a p06audit Family object")
        if family.name in self.families:
            raise RegistryError(
                f"check family '{family.name}' is declared twice ({self.families[family.name].package} "
                f"and {family.package})"
            )
        clash = sorted(set(family.needs) & {n for f in self.families.values() for n in f.needs})
        if clash:
            raise RegistryError(f"family '{family.name}' declares host needs {clash} another family declares")
        self.families[family.name] = family

    def discover(self) -> dict[str, Family]:
        """Every installed family object (cheap: imports the objects, not their modules)."""
        if self._discovered or self.sealed:
            return self.families
        self._discovered = True
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.name in self.families:
                continue
            try:
                family = ep.load()
            except Exception as exc:
                raise RegistryError(f"check plugin '{ep.name}' ({ep.value}) failed to load: {exc}") from exc
            self.add_family(family, f"'{ep.name}' ({ep.value})")
        return self.families

    def family_text(self, name: str) -> FamilyText:
        """The family's checks.yaml, read (and its text added to the renderers) once."""
        found = self.texts.get(name)
        if found is None:
            family = self.discover()[name]
            path = Path(resolve(family.package).__file__ or "").parent / CHECKS_FILE
            found = FamilyText(name, path, read_checks_file(path))
            self._refuse_clashing_ids(found)
            add_texts(found.data, path, name, TEXTS)
            self.texts[name] = found
        return found

    def load_texts(self) -> None:
        """Text of every installed family, for rendering any run (even one this process did not audit)."""
        for name in self.discover():
            self.family_text(name)

    def add_check(self, spec: CheckSpec) -> None:
        """One check; the loader adds each @rule this way (and tests wire checks by hand)."""
        if spec.id in self.checks:
            raise RegistryError(
                f"check id {spec.id} is declared twice ({self.checks[spec.id].module} and {spec.module})"
            )
        self.checks[spec.id] = spec

    def add_collector(self, spec: CollectorSpec) -> None:
        self.collectors.setdefault(spec.family, []).append(spec)

    def load_plugins(self, families: Iterable[str] | None = None) -> None:
        """Import the modules of every installed family, or only of the named ones (once each).
        A sealed registry (wired by hand) imports nothing."""
        if self.sealed:
            return
        available = self.discover()
        wanted = sorted(available) if families is None else sorted(set(families))
        unknown = [name for name in wanted if name not in available]
        if unknown:
            raise UsageError(f"unknown check family {unknown}; installed: {', '.join(sorted(available))}")
        for name in wanted:
            if name not in self._loaded:
                self._load_family(available[name])
                self._loaded.add(name)

    def _refuse_clashing_ids(self, text: FamilyText) -> None:
        mine = {*text.data.checks, text.not_examined}
        for other in self.texts.values():
            if other is text:
                continue
            clash = sorted(mine & {*other.data.checks, other.not_examined})
            if clash:
                raise RegistryError(
                    f"check ids {clash} are declared by family '{text.family}' ({text.path}) "
                    f"and by family '{other.family}' ({other.path})"
                )

    def _load_family(self, family: Family) -> None:
        text = self.family_text(family.name)
        needs = {name: has for f in self.families.values() for name, has in f.needs.items()}
        seen: dict[str, str] = {}
        for module_name in family.modules:
            try:
                module = resolve(module_name)
            except Exception as exc:
                raise RegistryError(
                    f"family '{family.name}': module {module_name} failed to load: {exc}"
                ) from exc
            for value in vars(module).values():
                collected = getattr(value, COLLECTOR_MARK, None)
                if isinstance(collected, CollectorMark) and value.__module__ == module.__name__:
                    self.add_collector(
                        CollectorSpec(family.name, value, collected.per_host, collected.produces, module_name)
                    )
                mark = getattr(value, RULE_MARK, None)
                if isinstance(mark, RuleMark) and value.__module__ == module.__name__:
                    if mark.check_id in seen:
                        raise RegistryError(
                            f"check {mark.check_id} has two rules ({seen[mark.check_id]} and {module_name})"
                        )
                    seen[mark.check_id] = module_name
                    self.add_check(self._spec(family, text, mark, value, needs, module_name))
        missing = sorted(set(text.data.checks) - set(seen))
        if missing:
            raise RegistryError(
                f"{text.path}: checks {missing} have text but no @rule in {list(family.modules)}"
            )

    def _spec(
        self,
        family: Family,
        text: FamilyText,
        mark: RuleMark,
        func: Callable[..., Any],
        needs: dict[str, Need],
        module: str,
    ) -> CheckSpec:
        entry = text.data.checks.get(mark.check_id)
        if entry is None:
            raise RegistryError(f"check {mark.check_id} ({module}) has no entry in {text.path}")
        unknown = [n for n in mark.needs if n not in needs]
        if unknown:
            raise RegistryError(
                f"check {mark.check_id} needs unknown host features {unknown}; "
                f"families declare {sorted(needs)}"
            )
        applies = AppliesTo(mark.roles, tuple((n, needs[n]) for n in mark.needs), mark.site_kinds)
        return CheckSpec(
            id=mark.check_id,
            family=family.name,
            severity=entry.severity,
            observes=mark.observes,
            applies_to=applies,
            rule=func,
            module=module,
            batch=mark.batch,
            tags=frozenset(entry.tags),
        )

    def families_of(self, check_ids: Iterable[str] | None) -> set[str] | None:
        """The families that declare these checks (None: every family); reads only checks.yaml files."""
        if check_ids is None:
            return None
        wanted = set(check_ids)
        return {
            name
            for name in self.discover()
            if wanted & {*self.family_text(name).data.checks, self.family_text(name).not_examined}
        }

    def loaded_families(self) -> list[str]:
        return sorted({c.family for c in self.checks.values()})

    def checks_observing(self, kind: type[Observation]) -> list[CheckSpec]:
        return [c for c in self.checks.values() if c.observes is kind]

    def tagged(self, tag: str) -> frozenset[str]:
        """Ids of every installed check carrying `tag` in its checks.yaml (e.g. certificate_expiry)."""
        self.load_texts()
        return frozenset(
            check_id for t in self.texts.values() for check_id, e in t.data.checks.items() if tag in e.tags
        )

    def catalogue(self) -> list[CheckInfo]:
        """Every installed check, each family's root-cause check first, in id order."""
        self.load_texts()
        described = []
        for family, text in sorted(self.texts.items()):
            described.append(CheckInfo(text.not_examined, family, None))
            described += [
                CheckInfo(check_id, family, entry.severity, frozenset(entry.tags))
                for check_id, entry in sorted(text.data.checks.items())
            ]
        return described

    def not_examined_id(self, family: str) -> str:
        return self.family_text(family).not_examined


REGISTRY = Registry()
