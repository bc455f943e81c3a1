"""Validation errors in words a person can act on: what is wrong, the value received, what to do.

pydantic's own wording ("Input should be less than or equal to 5", "Extra inputs are not
permitted") is translated here, once, into messages in Vietnamese and English: a number out of
range names the whole allowed range, an unknown field lists the fields that exist, and a secret
written inline (`password:` where the model has `password_env`) says to use the environment
variable instead and never echoes the value. Every problem of every file is collected (up to
`LIMIT`) so one pass shows them all.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic_core import ErrorDetails

from p06audit.errors import ConfigFileError, Problem
from p06audit.text import Message, say

LIMIT = 50
SECRET_WORDS = ("password", "passphrase", "secret", "token", "private_key")
ENV_SUFFIX = "_env"
MAX_VALUE_CHARS = 80


@dataclass
class Problems:
    """Problems found so far, at most `limit` kept; `raise_if_any` ends the pass."""

    limit: int = LIMIT
    found: list[Problem] = field(default_factory=list)
    left_out: int = 0

    def add(self, problem: Problem) -> None:
        if len(self.found) < self.limit:
            self.found.append(problem)
        else:
            self.left_out += 1

    def extend(self, problems: Sequence[Problem]) -> None:
        for problem in problems:
            self.add(problem)

    def __bool__(self) -> bool:
        return bool(self.found)

    def raise_if_any(self, error: type[ConfigFileError] = ConfigFileError) -> None:
        if self.found:
            raise error.of(self.found, self.left_out)


def shown(value: Any) -> str:
    """A received value as the message quotes it: text in quotes, long values cut."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def is_secret(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith(ENV_SUFFIX) or any(word in lowered for word in SECRET_WORDS)


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models an annotation holds (through Optional, tuple[...], list[...], dict)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _models_in(argument)


def model_at(model: type[BaseModel], loc: Sequence[int | str]) -> tuple[type[BaseModel] | None, Any]:
    """The model that holds the last name of `loc`, and that field's FieldInfo (None if unknown)."""
    current: type[BaseModel] | None = model
    info: Any = None
    holder: type[BaseModel] | None = None
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        found = current.model_fields.get(part)
        if found is None:
            return current, None
        holder, info = current, found
        current = next(_models_in(found.annotation), None)
    return holder, info


def _bounds(info: Any) -> tuple[Any, Any]:
    low: Any = None
    high: Any = None
    for item in getattr(info, "metadata", ()):
        if isinstance(item, annotated_types.Ge):
            low = item.ge
        elif isinstance(item, annotated_types.Gt):
            low = item.gt
        elif isinstance(item, annotated_types.Le):
            high = item.le
        elif isinstance(item, annotated_types.Lt):
            high = item.lt
    return low, high


def describe(error: ErrorDetails, model: type[BaseModel]) -> tuple[Message, Message | None]:
    """(what is wrong, what to do) for one pydantic error, in plain words."""
    kind = error["type"]
    loc = tuple(error["loc"])
    name = str(loc[-1]) if loc else ""
    secret = is_secret(name)
    value = say("core.invalid_value_hidden") if secret else shown(error.get("input"))
    ctx = error.get("ctx") or {}
    holder, info = model_at(model, loc)
    if kind == "missing":
        return say("core.invalid_missing"), say("core.todo_missing")
    if kind == "extra_forbidden":
        known = sorted(holder.model_fields) if holder is not None else []
        if holder is not None and f"{name}{ENV_SUFFIX}" in holder.model_fields:
            return say("core.invalid_secret"), say("core.todo_secret", field=f"{name}{ENV_SUFFIX}")
        return say("core.invalid_extra"), say("core.todo_extra", known=known)
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        low, high = _bounds(info)
        if low is not None and high is not None:
            return say("core.invalid_range", value=value, low=low, high=high), say(
                "core.todo_range", low=low, high=high
            )
        limit = ctx.get("ge", ctx.get("gt", ctx.get("le", ctx.get("lt"))))
        key = "minimum" if kind.startswith("greater") else "maximum"
        return say(f"core.invalid_{key}", value=value, limit=limit), say(f"core.todo_{key}", limit=limit)
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace("'", "")
        return say("core.invalid_choice", value=value), say("core.todo_choice", expected=expected)
    if kind in ("too_short", "string_too_short"):
        return say("core.invalid_empty"), say("core.todo_empty", count=ctx.get("min_length", 1))
    if kind == "string_pattern_mismatch":
        todo = say("core.todo_env_name") if name.endswith(ENV_SUFFIX) else say("core.todo_pattern")
        return say("core.invalid_pattern", value=value), todo
    plain = SIMPLE_KINDS.get(kind)
    if plain is not None:
        return say(f"core.invalid_{plain}", value=value), say(f"core.todo_{plain}")
    detail = ctx.get("error")
    if isinstance(detail, MessageError):
        return detail.message, None
    return say(
        "core.invalid_other", detail=str(error["msg"]).removeprefix("Value error, "), value=value
    ), None


SIMPLE_KINDS = {
    "int_parsing": "number",
    "int_type": "number",
    "int_from_float": "number",
    "float_parsing": "decimal",
    "float_type": "decimal",
    "bool_parsing": "bool",
    "bool_type": "bool",
    "string_type": "text",
    "list_type": "list",
    "tuple_type": "list",
    "dict_type": "mapping",
    "model_type": "mapping",
    "model_attributes_type": "mapping",
    "ip_any_address": "address",
    "ip_v4_address": "address",
    "ip_any_network": "network",
    "ip_v4_network": "network",
    "ip_v6_network": "network",
}


class MessageError(ValueError):
    """A validator's complaint as a Message, so it reaches the person in their language."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.key)
        self.message = message


def problems_of(
    errors: Sequence[ErrorDetails],
    model: type[BaseModel],
    path: str,
    line_of_loc: typing.Callable[[tuple[int | str, ...]], int | None],
    field_prefix: tuple[str, ...] = (),
) -> list[Problem]:
    """Every pydantic error as a Problem with its file, line and dotted field."""
    found = []
    below = [tuple(e["loc"]) for e in errors]
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "too_short" and any(len(o) > len(loc) and o[: len(loc)] == loc for o in below):
            continue  # a list whose items are all wrong is not also "empty"
        what, todo = describe(error, model)
        dotted = ".".join(str(p) for p in (*field_prefix, *loc)) or None
        found.append(Problem(path, line_of_loc(loc), dotted, what, todo))
    return found
