"""YAML files validated with pydantic whose errors point at `file:line: field 'x': problem — fix`.

ruamel's round-trip loader records where every key sits; a pydantic error location is walked back
through that tree to the deepest line that exists, so an officer can go straight to the mistake.
Every error of a node is reported, in plain words (`p06audit.validation`), and a caller that
passes a `Problems` collector gets them collected instead of raised, to report every file at once.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar, overload

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from p06audit.errors import ConfigFileError, Problem
from p06audit.text import Message, say
from p06audit.validation import Problems, problems_of

ModelT = TypeVar("ModelT", bound=BaseModel)
# What ruamel says, and the plain words for it (core.yaml_<name>): the first match wins.
YAML_PROBLEMS = (
    ("expected <block end>", "indentation"),
    ("found character '\\t'", "tab"),
    ("mapping values are not allowed", "colon"),
    ("found duplicate key", "duplicate"),
    ("could not find expected ':'", "no_colon"),
    ("found unexpected end of stream", "unclosed"),
    ("expected ',' or ']'", "unclosed"),
    ("expected ',' or '}'", "unclosed"),
)


def yaml_problem(problem: str) -> tuple[Message, Message]:
    """ruamel's wording as (what is wrong, what to do)."""
    for needle, name in YAML_PROBLEMS:
        if needle in problem:
            return say(f"core.yaml_{name}"), say(f"core.yaml_todo_{name}")
    return say("core.yaml_other", problem=problem), say("core.yaml_todo_other")


def read_yaml(
    path: Path, error: type[ConfigFileError] = ConfigFileError, problems: Problems | None = None
) -> CommentedMap:
    """A mapping with line information; an empty file is an empty mapping. With `problems`, an
    unreadable file is recorded there and read as empty, so the other files are still checked."""
    try:
        loaded = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return _bad_file(
            Problem(str(path), None, None, say("core.file_unreadable", error=exc.strerror or str(exc))),
            error,
            problems,
        )
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what, todo = yaml_problem(str(exc.problem or exc))
        return _bad_file(Problem(str(path), line, None, what, todo), error, problems)
    except UnicodeDecodeError:
        return _bad_file(
            Problem(str(path), None, None, say("core.file_not_utf8"), say("core.todo_utf8")), error, problems
        )
    if loaded is None:
        return CommentedMap()
    if not isinstance(loaded, CommentedMap):
        return _bad_file(
            Problem(str(path), 1, None, say("core.file_not_mapping"), say("core.todo_mapping_file")),
            error,
            problems,
        )
    return loaded


def _bad_file(problem: Problem, error: type[ConfigFileError], problems: Problems | None) -> CommentedMap:
    if problems is None:
        raise error.of([problem]) from None
    problems.add(problem)
    return CommentedMap()


def line_of(node: Any, loc: tuple[int | str, ...]) -> int | None:
    """Line (1-based) of the deepest key in `loc` that exists in the YAML tree."""
    line: int | None = None
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line


def plain(value: Any) -> Any:
    """ruamel containers to plain dict/list so pydantic sees ordinary JSON-like data."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@overload
def validate_node(
    model: type[ModelT],
    path: Path,
    node: Any,
    field_prefix: tuple[str, ...] = (),
    error: type[ConfigFileError] = ConfigFileError,
    problems: None = None,
) -> ModelT: ...


@overload
def validate_node(
    model: type[ModelT],
    path: Path,
    node: Any,
    field_prefix: tuple[str, ...],
    error: type[ConfigFileError],
    problems: Problems,
) -> ModelT | None: ...


def validate_node(
    model: type[ModelT],
    path: Path,
    node: Any,
    field_prefix: tuple[str, ...] = (),
    error: type[ConfigFileError] = ConfigFileError,
    problems: Problems | None = None,
) -> ModelT | None:
    """Validate one YAML node as `model`; each field is named `prefix.loc` and its line is the node's.
    Every error of the node is reported: raised together, or added to `problems` (then None)."""
    try:
        return model.model_validate(plain(node))
    except ValidationError as exc:
        found = problems_of(exc.errors(), model, str(path), lambda loc: line_of(node, loc) or 1, field_prefix)
        if problems is None:
            raise error.of(found) from None
        problems.extend(found)
        return None


def load_validated(model: type[ModelT], path: Path, error: type[ConfigFileError] = ConfigFileError) -> ModelT:
    """`path` validated as `model`, read with the C loader (a tenth of the round-trip parser's time);
    only when it is invalid is it read again with line marks, so the error still names file:line."""
    try:
        loaded = YAML(typ="safe", pure=False).load(path.read_text(encoding="utf-8"))
        return model.model_validate({} if loaded is None else loaded)
    except (ValidationError, MarkedYAMLError, OSError, UnicodeDecodeError):
        return validate_node(model, path, read_yaml(path, error), (), error)


def load_packaged(package: str, name: str, model: type[ModelT]) -> ModelT:
    """Data shipped inside a package (a family's policy), validated once per process; errors say file:line."""
    return _load_packaged(package, name, model)  # type: ignore[return-value]


@functools.cache
def _load_packaged(package: str, name: str, model: type[BaseModel]) -> BaseModel:
    path = Path(str(files(package).joinpath(name)))
    return load_validated(model, path)
