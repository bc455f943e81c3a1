"""A check family as one object: everything a family brings to the engine, declared in one place.

`checks/<family>/family.py` exports a `Family` and the entry point `p06audit.checks` names it. The
object is cheap to import: its inventory sections are small pydantic models, its collectors, rules,
lab scenarios, report views and commands are module names the engine imports only when it needs
them. The core reads families through this type and never names one.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import import_module
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from p06audit.inventory import Host, HostCore
    from p06audit.model import Finding
    from p06audit.text import Message, Renderer

SECTION_CONFIG = ConfigDict(extra="forbid", frozen=True)


class Section(BaseModel):
    """Base of the fields a family adds to an inventory entry (a host's, a site's or the defaults' `data`)."""

    model_config = SECTION_CONFIG


class FamilyOptions(BaseModel):
    """Base of a family's run options: validated on the command line and on the Celery wire alike."""

    model_config = SECTION_CONFIG


@dataclass(frozen=True)
class RunOption:
    """One command-line option of `run` and `demo` that sets a field of the family's options model."""

    flag: str
    field: str
    help: str
    action: Literal["store", "store_true"] = "store"
    parse: Callable[[str], Any] | None = None
    metavar: str | None = None

    def add_to(self, parser: argparse.ArgumentParser, family: str) -> None:
        extra: dict[str, Any] = {"dest": f"{family}__{self.field}", "help": self.help, "default": None}
        if self.action == "store_true":
            parser.add_argument(self.flag, action="store_true", **extra)
        else:
            parser.add_argument(self.flag, type=self.parse or str, metavar=self.metavar, **extra)


@dataclass(frozen=True)
class ViewContext:
    """What a family's report view may use: the run's local day and the report's language."""

    today: date
    render: Renderer


@dataclass(frozen=True)
class ReportSection:
    """A section a family adds to the HTML report: its heading, template (in the family's
    `templates/` folder) and the data the template shows."""

    id: str
    heading: Message
    template: str
    data: Any


View = Callable[[Sequence["Finding"], ViewContext], ReportSection | None]
Need = Callable[["Host"], bool]
DeclaredPorts = Callable[["HostCore"], Mapping[int, str]]


@dataclass(frozen=True, eq=False)
class Family:
    """What a family declares. Module names are imported when used (`load`), never at registration."""

    name: str
    package: str  # where checks.yaml and the family's data files live
    modules: tuple[str, ...]  # modules whose @collects and @rule functions make up the family
    host_fields: type[Section] | None = None
    site_fields: type[Section] | None = None
    defaults_fields: type[Section] | None = None
    needs: Mapping[str, Need] = field(default_factory=dict)
    declared_ports: DeclaredPorts | None = None
    options: type[FamilyOptions] | None = None
    run_options: tuple[RunOption, ...] = ()
    lab: str | None = None  # module with build(ctx) -> list[LabServer]
    views: tuple[str, ...] = ()  # "module:function" giving report sections from the findings
    commands: tuple[str, ...] = ()  # modules with register(subparsers) adding CLI subcommands

    def default_options(self) -> FamilyOptions | None:
        return self.options() if self.options is not None else None


def resolve(reference: str) -> Any:
    """`package.module:attribute` (or a bare module) imported now."""
    module_name, _, attribute = reference.partition(":")
    module = import_module(module_name)
    return getattr(module, attribute) if attribute else module
