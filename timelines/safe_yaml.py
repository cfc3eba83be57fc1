"""YAML read safely, remembering where every value came from.

Only plain data is accepted: mappings, sequences and the core scalar types. Tags that
build objects (``!!python/object``), custom tags, anchors and aliases are refused, so a
file cannot run code or expand into a billion nodes. Every value keeps its line and
column, so a validation error can name the place in the file a designer has to fix.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from models.errors import ExcommError

MAX_BYTES = 2 * 1024 * 1024
# libyaml's composer, where PyYAML was built with it, reads a file ten times faster than the
# pure-Python one; both keep every node's line and column.
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp")}

Location = tuple[int, int]  # 1-based line and column
PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, at a place in it."""

    path: str
    line: int
    column: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.code} {self.message}"


class FileProblems(ExcommError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems

    def summary(self) -> str:
        """The problems in one line: the first, and how many more `validate` will list."""
        first = str(self.problems[0])
        more = len(self.problems) - 1
        return first + (f" (and {more} more: excomm validate {self.problems[0].path})" if more else "")


@dataclass
class Document:
    """Plain data read from a file, and where each part of it was."""

    path: str
    data: Any
    places: dict[PathKey, Location] = field(default_factory=dict)
    key_places: dict[PathKey, Location] = field(default_factory=dict)

    def place(self, key: PathKey) -> Location:
        """The location of a value, or of its nearest enclosing value that has one."""
        while key not in self.places and key:
            key = key[:-1]
        return self.places.get(key, (1, 1))


def _where(node: Node) -> Location:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    def __init__(self, path: str) -> None:
        self.document = Document(path=path, data=None)
        self._constructor = yaml.SafeLoader("")
        self._seen: set[int] = set()

    def fail(self, node: Node, code: str, message: str) -> FileProblems:
        line, column = _where(node)
        return FileProblems([Problem(self.document.path, line, column, code, message)])

    def build(self, node: Node, key: PathKey) -> Any:
        if id(node) in self._seen:
            raise self.fail(node, "E-YAML", "anchors and aliases are not supported")
        self._seen.add(id(node))
        self.document.places[key] = _where(node)
        if isinstance(node, MappingNode):
            if node.tag != _CORE + "map":
                raise self.fail(node, "E-YAML", f"tag {node.tag} is not allowed")
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                    raise self.fail(key_node, "E-YAML", "mapping keys must be plain text")
                name = str(key_node.value)
                if name in result:
                    raise self.fail(key_node, "E-DUPLICATE-KEY", f"key {name!r} appears twice")
                self.document.key_places[(*key, name)] = _where(key_node)
                result[name] = self.build(value_node, (*key, name))
            return result
        if isinstance(node, SequenceNode):
            if node.tag != _CORE + "seq":
                raise self.fail(node, "E-YAML", f"tag {node.tag} is not allowed")
            return [self.build(item, (*key, i)) for i, item in enumerate(node.value)]
        if isinstance(node, ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                raise self.fail(node, "E-YAML", f"tag {node.tag} is not allowed")
            if node.tag == _CORE + "timestamp":
                # Keep instants as written: the schema parses them and checks the offset.
                return node.value
            try:
                return self._constructor.construct_object(node, deep=True)
            except (ValueError, OverflowError):
                # A number no field could hold: Python refuses to read one of over 4300 digits.
                raise self.fail(node, "E-INVALID", f"{_short(node.value)} is not a usable value") from None
        raise self.fail(node, "E-YAML", "unsupported YAML node")


def _short(text: str) -> str:
    return text if len(text) <= 40 else f"{text[:20]}…({len(text)} characters)"


def read_yaml(path: Path, display: str | None = None) -> Document:
    """Read a YAML file as plain data with locations, or raise FileProblems.

    Only a regular file is read, and no more of it than MAX_BYTES: a FIFO would block
    for ever, /dev/zero never ends, and a file in /proc says it is empty.
    """
    shown = display or str(path)
    try:
        # Opened without blocking (a FIFO with no writer would wait for one), then checked.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise FileProblems([Problem(shown, 1, 1, "E-READ", "not a regular file")])
            raw = file.read(MAX_BYTES + 1)
    except IsADirectoryError:
        raise FileProblems([Problem(shown, 1, 1, "E-READ", "not a regular file (a folder)")]) from None
    except OSError as exc:
        raise FileProblems([Problem(shown, 1, 1, "E-READ", exc.strerror or str(exc))]) from None
    except ValueError:  # a NUL in the name (from the API: a command line cannot hold one)
        raise FileProblems([Problem(shown, 1, 1, "E-READ", "not a usable file name")]) from None
    if len(raw) > MAX_BYTES:
        raise FileProblems([Problem(shown, 1, 1, "E-TOO-LARGE", f"file is more than {MAX_BYTES} bytes")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FileProblems([Problem(shown, line, 1, "E-ENCODING", "file is not UTF-8 text")]) from None
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = exc.problem or exc.context or "invalid YAML"
        raise FileProblems([Problem(shown, line, column, "E-YAML", f"not valid YAML: {reason}")]) from None
    except yaml.YAMLError as exc:
        raise FileProblems([Problem(shown, 1, 1, "E-YAML", f"not valid YAML: {exc}")]) from None
    except RecursionError:
        raise FileProblems([Problem(shown, 1, 1, "E-YAML", "nested too deeply")]) from None
    if node is None:
        raise FileProblems([Problem(shown, 1, 1, "E-EMPTY", "file is empty")])
    builder = _Builder(shown)
    try:
        builder.document.data = builder.build(node, ())
    except RecursionError:
        raise FileProblems([Problem(shown, 1, 1, "E-YAML", "nested too deeply")]) from None
    return builder.document
