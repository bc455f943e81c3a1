"""YAML files validated with pydantic whose errors point at `file:line: field 'x': problem`.

ruamel's round-trip loader records where every key sits; a pydantic error location is walked back
through that tree to the deepest line that exists, so an officer can go straight to the mistake.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from p06audit.errors import ConfigFileError

ModelT = TypeVar("ModelT", bound=BaseModel)


def read_yaml(path: Path, error: type[ConfigFileError] = ConfigFileError) -> CommentedMap:
    """A mapping with line information; an empty file is an empty mapping."""
    try:
        loaded = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(str(path), None, None, f"cannot be read: {exc.strerror or exc}") from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise error(str(path), line, None, f"invalid YAML: {exc.problem or exc}") from None
    except UnicodeDecodeError:
        raise error(str(path), None, None, "is not UTF-8 text") from None
    if loaded is None:
        return CommentedMap()
    if not isinstance(loaded, CommentedMap):
        raise error(str(path), 1, None, "must be a mapping of names to entries")
    return loaded


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


def validate_node(
    model: type[ModelT],
    path: Path,
    node: Any,
    field_prefix: tuple[str, ...] = (),
    error: type[ConfigFileError] = ConfigFileError,
) -> ModelT:
    """Validate one YAML node as `model`; the field is named `prefix.loc` and the line is the node's."""
    try:
        return model.model_validate(plain(node))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in (*field_prefix, *first["loc"])) or None
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "enum":
            message = f"{message} (got '{first['input']}')"
        raise error(str(path), line_of(node, tuple(first["loc"])) or 1, field, message) from None


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
