"""Load timeline files from the catalogue (or anywhere) and validate them on the way in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models.timeline import TimelineDefinition
from timelines.safe_yaml import Document, FileProblems, PathKey, Problem, read_yaml

CATALOGUE = Path(__file__).resolve().parent


class UnknownTimeline(LookupError):
    def __init__(self, name: str) -> None:
        known = ", ".join(catalogue_names()) or "none"
        super().__init__(f"unknown timeline {name!r} (known: {known})")


def catalogue_names() -> list[str]:
    return sorted(p.stem for p in CATALOGUE.glob("*.yaml"))


def _field_name(loc: tuple[str | int, ...], data: Any) -> tuple[str, PathKey]:
    """A readable field path (events[3].at) and the data path it corresponds to.

    Pydantic puts the discriminator of a union into `loc` (events.3.message_sent.at);
    walking the data tells real keys from those tags.
    """
    text = ""
    key: PathKey = ()
    node = data
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            text += f"[{part}]"
            key = (*key, part)
            node = node[part]
        elif isinstance(part, str) and isinstance(node, dict) and part in node:
            text += f".{part}" if text else part
            key = (*key, part)
            node = node[part]
        elif isinstance(part, str) and isinstance(node, dict) and node.get("type") == part:
            continue
        else:
            text += f".{part}" if text else str(part)
    return text or "(file)", key


def _problem(doc: Document, error: Any) -> Problem:
    loc = tuple(error["loc"])
    field, key = _field_name(loc, doc.data)
    kind = error["type"]
    if kind == "extra_forbidden" and key in doc.key_places:
        line, column = doc.key_places[key]
        return Problem(doc.path, line, column, "E-UNKNOWN-FIELD", f"{field}: unknown field")
    line, column = doc.place(key)
    message = str(error["msg"]).removeprefix("Value error, ")
    code = {
        "missing": "E-MISSING-FIELD",
        "union_tag_invalid": "E-UNKNOWN-KIND",
        "union_tag_not_found": "E-MISSING-FIELD",
    }.get(kind, "E-WRONG-TYPE" if kind.endswith("_type") or kind.endswith("_parsing") else "E-INVALID")
    if kind == "union_tag_invalid":
        message = f"unknown event type {error['input'].get('type')!r}"
    elif kind == "union_tag_not_found":
        message = "missing field 'type'"
    return Problem(doc.path, line, column, code, f"{field}: {message}")


def load_timeline_file(path: Path, display: str | None = None) -> TimelineDefinition:
    """Read and validate a timeline file, or raise FileProblems naming file, line and field."""
    doc = read_yaml(path, display)
    if not isinstance(doc.data, dict):
        raise FileProblems([Problem(doc.path, 1, 1, "E-WRONG-TYPE", "a timeline file is a mapping")])
    for i, entry in enumerate(doc.data.get("events") or []):
        if isinstance(entry, dict) and "seq" in entry:
            line, column = doc.key_places[("events", i, "seq")]
            raise FileProblems(
                [
                    Problem(
                        doc.path,
                        line,
                        column,
                        "E-INVALID",
                        f"events[{i}].seq: assigned by the engine, not the file",
                    )
                ]
            )
    try:
        return TimelineDefinition.model_validate(doc.data)
    except ValidationError as exc:
        raise FileProblems([_problem(doc, e) for e in exc.errors()]) from None


def load_timeline(name_or_path: str) -> TimelineDefinition:
    """A catalogue timeline by name (october-1962), or a timeline file by path."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return load_timeline_file(candidate)
    path = CATALOGUE / f"{name_or_path}.yaml"
    if not path.is_file():
        raise UnknownTimeline(name_or_path)
    return load_timeline_file(path, display=f"timelines/{path.name}")
