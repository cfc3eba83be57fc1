"""Load timeline files from the catalogue (or anywhere) and validate them on the way in."""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from models.admission import field_name, vocabulary_problems
from models.behaviour import Behaviour
from models.ensemble import member
from models.errors import ExcommError
from models.plan import PlanDefinition
from models.plan_checks import check
from models.timeline import TimelineDefinition
from timelines.citations import resolve as resolve_citation
from timelines.safe_yaml import Document, FileProblems, PathKey, Problem, read_yaml
from timelines.variants import resolve

T = TypeVar("T", bound=BaseModel)
CATALOGUE = Path(__file__).resolve().parent
PLANS = CATALOGUE / "plans"


class UnknownTimeline(ExcommError, LookupError):
    def __init__(self, name: str) -> None:
        known = ", ".join(catalogue_names()) or "none"
        close = difflib.get_close_matches(name, catalogue_names(), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        hint += f"; for the file, write ./{name}" if _is_file(Path(name)) else ""
        super().__init__(f"unknown timeline {name!r} (known: {known}{hint})")


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long for a file name, among others
        return False


# A catalogue name is a bare word; anything with a folder or a YAML suffix is a path. A
# name never resolves to a file outside the catalogue (`../../x/plan` is a path, and is
# read as one), and a path is never taken for a name.
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}\Z")  # no longer than a file name may be


def is_path(text: str | Path) -> bool:
    """Whether a command's argument names a file rather than a catalogue entry."""
    if isinstance(text, Path):
        return True
    return "/" in text or os.sep in text or text.endswith((".yaml", ".yml"))


def is_catalogue_name(text: str) -> bool:
    return not is_path(text) and text in catalogue_names()


def catalogue_names() -> list[str]:
    """Timelines and plans, by name; a plan runs as a timeline of its own, with no moves."""
    return sorted({p.stem for p in CATALOGUE.glob("*.yaml")} | set(plan_names()))


def plan_names() -> list[str]:
    return sorted(p.stem for p in PLANS.glob("*.yaml"))


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
        elif (
            isinstance(part, str) and isinstance(node, dict) and part in (node.get("type"), node.get("kind"))
        ):
            continue
        else:
            text += f".{part}" if text else str(part)
    return text or "(file)", key


def _tags(node: dict[str, Any]) -> tuple[object, ...]:
    """The discriminators pydantic may name in a location: event types, step and move kinds."""
    return node.get("type"), node.get("kind")


def _find_step(node: Any, step_id: object, path: PathKey = ()) -> PathKey | None:
    """Where, in a file's own data, the step with this id is written."""
    if isinstance(node, dict):
        if node.get("id") == step_id:
            return path
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return None
    for key, value in items:
        found = _find_step(value, step_id, (*path, key))
        if found is not None:
            return found
    return None


def _locate(doc: Document, data: Any, key: PathKey) -> PathKey:
    """A path in resolved data, as a path in the file: for a variant, via the step's id."""
    if data is doc.data or not isinstance(doc.data, dict) or "extends" not in doc.data:
        return key
    node, anchor, rest = data, None, key
    for depth, part in enumerate(key):
        if isinstance(node, dict) and "id" in node and depth:
            anchor, rest = node["id"], key[depth:]
        node = node[part] if isinstance(node, dict | list) else None  # type: ignore[index]
    if isinstance(node, dict) and "id" in node and key:
        anchor, rest = node["id"], ()
    found = _find_step(doc.data, anchor) if anchor is not None else None
    if found is None:
        return key if key and key[0] in doc.data else ()
    return (*found, *rest)


def _problem(doc: Document, error: Any, data: Any = None) -> Problem:
    loc = tuple(error["loc"])
    field, resolved_key = _field_name(loc, doc.data if data is None else data)
    key = _locate(doc, doc.data if data is None else data, resolved_key)
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
        discriminator = str(error.get("ctx", {}).get("discriminator", "")).strip("'")
        tag = error["input"].get(discriminator) if isinstance(error["input"], dict) else None
        if discriminator == "kind" and "moves" in loc:
            code, message = "E-UNKNOWN-MOVE", f"unknown move kind {tag!r}"
        elif discriminator == "kind":
            message = f"unknown step kind {tag!r}"
        else:
            message = f"unknown event type {tag!r}"
    elif kind == "union_tag_not_found":
        discriminator = str(error.get("ctx", {}).get("discriminator", "type")).strip("'")
        message = f"missing field {discriminator!r}"
    return Problem(doc.path, line, column, code, f"{field}: {message}")


def _validated(doc: Document, model: type[T], data: dict[str, Any], **resolved: object) -> T:
    try:
        return model.model_validate({**data, **resolved})
    except ValidationError as exc:
        raise FileProblems([_problem(doc, e, data) for e in exc.errors()]) from None


def _citations(node: Any, key: PathKey = ()) -> list[tuple[PathKey, object]]:
    """Every citation a file's data makes: each `sources` entry and each `document`."""
    found: list[tuple[PathKey, object]] = []
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "sources" and isinstance(value, list):
                found += [((*key, name, i), entry) for i, entry in enumerate(value)]
            elif name == "document" and isinstance(value, str):
                found.append(((*key, name), value))
            else:
                found += _citations(value, (*key, name))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _citations(value, (*key, i))
    return found


def _check_citations(doc: Document) -> list[Problem]:
    """A citation that opens nothing is refused: every source must be readable (`excomm source`)."""
    problems = []
    for key, citation in _citations(doc.data):
        if not isinstance(citation, str) or resolve_citation(citation) is None:
            line, column = doc.place(key)
            field, _ = _field_name(key, doc.data)
            problems.append(
                Problem(
                    doc.path,
                    line,
                    column,
                    "E-UNKNOWN-SOURCE",
                    f"{field}: {citation!r} is neither a FRUS document excomm indexes nor a key of "
                    "timelines/sources/bibliography.yaml",
                )
            )
    return problems


def _plan_path(name: str) -> Path:
    path = PLANS / f"{name}.yaml"
    if not _NAME.match(name) or not path.is_file():
        raise UnknownTimeline(name)
    return path


def _plan_data(name: str, seen: tuple[str, ...]) -> dict[str, Any]:
    """A catalogue plan's resolved data, for a variant that extends it."""
    path = _plan_path(name)
    doc = _mapping(read_yaml(path, f"timelines/plans/{path.name}"))
    return resolve(doc, _plan_data, seen)


def load_plan_file(path: Path, display: str | None = None) -> PlanDefinition:
    """Read, resolve (extends) and validate a plan or variant file, with every check."""
    return _plan_from(_mapping(read_yaml(path, display)))


def _plan_from(doc: Document) -> PlanDefinition:
    data = resolve(doc, _plan_data)
    plan = _validated(doc, PlanDefinition, data)
    problems = []
    for finding in check(plan):
        _, key = _field_name(finding.path, data)
        line, column = doc.place(_locate(doc, data, key))
        problems.append(Problem(doc.path, line, column, finding.code, finding.message))
    problems += _check_citations(doc)
    if problems:
        raise FileProblems(problems)
    return plan


def load_plan(name: str) -> PlanDefinition:
    """A plan from the catalogue's plans/, by name (memo)."""
    path = _plan_path(name)
    return load_plan_file(path, f"timelines/plans/{path.name}")


def load_file(path: Path, display: str | None = None) -> PlanDefinition | TimelineDefinition:
    """Any file: a plan or variant (it has steps or extends a plan), or a timeline. Read once."""
    doc = _mapping(read_yaml(path, display))
    if "steps" in doc.data or "extends" in doc.data:
        return _plan_from(doc)
    return _timeline_from(doc)


def _mapping(doc: Document) -> Document:
    if not isinstance(doc.data, dict):
        raise FileProblems(
            [Problem(doc.path, 1, 1, "E-WRONG-TYPE", "a timeline or plan file is a mapping of fields")]
        )
    return doc


def load_timeline_file(path: Path, display: str | None = None) -> TimelineDefinition:
    """Read and validate a timeline file, or raise FileProblems naming file, line and field."""
    return _timeline_from(_mapping(read_yaml(path, display)))


def _record(doc: Document, name: object) -> TimelineDefinition:
    """The record a counterfactual timeline begins with: a catalogue timeline of history alone."""
    path = CATALOGUE / f"{name}.yaml"
    record = None
    if isinstance(name, str) and _NAME.match(name) and path.is_file():
        source = _mapping(read_yaml(path, f"timelines/{path.name}"))
        # A timeline that itself begins with a record, or runs a plan, is not one.
        if "record" not in source.data and "plan" not in source.data:
            record = _timeline_from(source)
    if record is None or not record.is_record:
        line, column = doc.place(("record",))
        known = ", ".join(n for n in catalogue_names() if (CATALOGUE / f"{n}.yaml").is_file())
        raise FileProblems(
            [
                Problem(
                    doc.path,
                    line,
                    column,
                    "E-UNKNOWN-RECORD",
                    f"record: {name!r} is not a timeline of the record in the catalogue (known: {known})",
                )
            ]
        )
    return record


def _begin_with_record(
    doc: Document, definition: TimelineDefinition, record: TimelineDefinition
) -> TimelineDefinition:
    """The record's events, then the file's own: from the plan's start the plan acts for its
    side in place of the record's acts of that side (the engine suppresses those), and the
    record's other acts happen while what they answered and depended on holds."""
    if definition.plan is None:
        line, column = doc.place(("record",))
        raise FileProblems(
            [
                Problem(
                    doc.path, line, column, "E-INVALID", "record: needs a plan, whose start ends the record"
                )
            ]
        )
    return definition.model_copy(update={"events": (*record.events, *definition.events)})


def _timeline_from(doc: Document) -> TimelineDefinition:
    resolved: dict[str, object] = {}
    record = _record(doc, doc.data["record"]) if "record" in doc.data else None
    if record is not None:
        for inherited in ("starts_at", "initial"):
            if inherited not in doc.data:
                resolved[inherited] = getattr(record, inherited)
    plan_name = doc.data.get("plan")
    if isinstance(plan_name, str):
        if plan_name not in plan_names():
            line, column = doc.place(("plan",))
            raise FileProblems(
                [Problem(doc.path, line, column, "E-UNKNOWN-PLAN", f"plan: unknown plan {plan_name!r}")]
            )
        resolved["plan"] = load_plan(plan_name)
    # Every scripted event and move says what kind of statement it is: the file's own
    # `provenance` (counterfactual unless it is the record) unless it says otherwise.
    default = doc.data.get("provenance", "counterfactual")
    data = dict(doc.data)
    for key in ("events", "moves"):
        if isinstance(data.get(key), list):
            data[key] = [
                {"provenance": default, **entry} if isinstance(entry, dict) else entry for entry in data[key]
            ]
    events = doc.data.get("events")
    for i, entry in enumerate(events if isinstance(events, list) else []):
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
    definition = _validated(doc, TimelineDefinition, data, **resolved)
    problems = [
        Problem(doc.path, *doc.place(key), code, f"{field_name(key)}: {reason}")
        for index, move in enumerate(definition.moves)
        for path, code, reason in vocabulary_problems(move, definition.plan)
        for key in [("moves", index, *path)]
    ]
    problems += _check_citations(doc)
    if problems:
        raise FileProblems(problems)
    return definition if record is None else _begin_with_record(doc, definition, record)


def catalogue_path(name_or_path: str | Path) -> Path:
    """The file behind a catalogue name (october-1962, memo), or the path itself."""
    if isinstance(name_or_path, Path) or is_path(name_or_path):
        return Path(name_or_path)
    for path in (CATALOGUE / f"{name_or_path}.yaml", PLANS / f"{name_or_path}.yaml"):
        if _NAME.match(name_or_path) and path.is_file():
            return path
    raise UnknownTimeline(name_or_path)


def load_any(name_or_path: str | Path) -> PlanDefinition | TimelineDefinition:
    """A catalogue timeline or plan by name, or any file, as it is written (not yet a run)."""
    path = catalogue_path(name_or_path)
    try:
        inside = path.resolve().relative_to(CATALOGUE)
    except (ValueError, OSError):  # outside the catalogue, or no usable path (read_yaml says why)
        inside = None
    return load_file(path, f"timelines/{inside}" if inside is not None else None)


def plan_of(name_or_path: str) -> PlanDefinition:
    """The plan a name or file stands for: a plan itself, or the plan a timeline runs."""
    loaded = load_any(name_or_path)
    if isinstance(loaded, PlanDefinition):
        return loaded
    if loaded.plan is None:
        raise NoPlan(
            f"{loaded.id} runs no plan: it is {'the record' if loaded.is_record else 'a timeline of events'}"
        )
    return loaded.plan


class NoPlan(ExcommError, LookupError):
    """A timeline asked for its plan that runs none."""


def load_behaviour(name_or_path: str | Path) -> Behaviour:
    """The seeded behaviour of a catalogue plan (memo-uncertain), of a plan file, or of a
    behaviour file (a mapping with `behaviour:` and, optionally, `description:`)."""
    if isinstance(name_or_path, str) and not is_path(name_or_path):
        plan = load_plan(name_or_path)
        display = f"timelines/plans/{name_or_path}.yaml"
    else:
        doc = _mapping(read_yaml(Path(name_or_path)))
        if "steps" in doc.data or "extends" in doc.data:
            plan = _plan_from(doc)
            display = doc.path
        else:
            loaded = _validated(doc, BehaviourFile, doc.data)
            problems = _check_citations(doc)
            if problems:
                raise FileProblems(problems)
            return loaded.behaviour
    if plan.behaviour is None:
        raise FileProblems([Problem(display, 1, 1, "E-INVALID", f"{plan.id} has no behaviour to draw from")])
    return plan.behaviour


class BehaviourFile(BaseModel):
    """A behaviour on its own, for a branch: the rules, and what they stand for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str | None = None
    behaviour: Behaviour


def load_timeline(name_or_path: str | Path, seed: int = 0) -> TimelineDefinition:
    """A catalogue timeline or plan by name (october-1962, memo), or a file by path."""
    if isinstance(name_or_path, Path) or is_path(name_or_path):
        loaded = load_file(Path(name_or_path))
        return member(loaded, seed) if isinstance(loaded, PlanDefinition) else loaded
    path = CATALOGUE / f"{name_or_path}.yaml"
    if not _NAME.match(name_or_path) or not path.is_file():
        if name_or_path in plan_names():
            return member(load_plan(name_or_path), seed)
        raise UnknownTimeline(name_or_path)
    return load_timeline_file(path, display=f"timelines/{path.name}")
