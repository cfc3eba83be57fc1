"""Load timeline files from the catalogue (or anywhere) and validate them on the way in."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from models.plan import PlanDefinition
from models.timeline import TimelineDefinition
from timelines.safe_yaml import Document, FileProblems, PathKey, Problem, read_yaml

T = TypeVar("T", bound=BaseModel)
CATALOGUE = Path(__file__).resolve().parent
PLANS = CATALOGUE / "plans"


class UnknownTimeline(LookupError):
    def __init__(self, name: str) -> None:
        known = ", ".join(catalogue_names()) or "none"
        super().__init__(f"unknown timeline {name!r} (known: {known})")


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


def _validated(doc: Document, model: type[T], **resolved: object) -> T:
    try:
        return model.model_validate({**doc.data, **resolved})
    except ValidationError as exc:
        raise FileProblems([_problem(doc, e) for e in exc.errors()]) from None


def load_plan(name: str) -> PlanDefinition:
    """A plan from the catalogue's plans/, by name (memo)."""
    path = PLANS / f"{name}.yaml"
    if not path.is_file():
        raise UnknownTimeline(name)
    doc = read_yaml(path, display=f"timelines/plans/{path.name}")
    if not isinstance(doc.data, dict):
        raise FileProblems([Problem(doc.path, 1, 1, "E-WRONG-TYPE", "a plan file is a mapping")])
    return _validated(doc, PlanDefinition)


def plan_timeline(plan: PlanDefinition) -> TimelineDefinition:
    """A plan on its own: no scripted events, no moves, the plan meeting silence."""
    return TimelineDefinition(
        id=plan.id,
        version=plan.version,
        title=plan.title,
        description=plan.description,
        starts_at=plan.starts_at,
        plan=plan,
    )


def load_timeline_file(path: Path, display: str | None = None) -> TimelineDefinition:
    """Read and validate a timeline file, or raise FileProblems naming file, line and field."""
    doc = read_yaml(path, display)
    if not isinstance(doc.data, dict):
        raise FileProblems([Problem(doc.path, 1, 1, "E-WRONG-TYPE", "a timeline file is a mapping")])
    resolved: dict[str, object] = {}
    plan_name = doc.data.get("plan")
    if isinstance(plan_name, str):
        if plan_name not in plan_names():
            line, column = doc.place(("plan",))
            raise FileProblems(
                [Problem(doc.path, line, column, "E-UNKNOWN-PLAN", f"plan: unknown plan {plan_name!r}")]
            )
        resolved["plan"] = load_plan(plan_name)
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
    return _validated(doc, TimelineDefinition, **resolved)


def load_timeline(name_or_path: str) -> TimelineDefinition:
    """A catalogue timeline by name (october-1962), or a timeline file by path."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return load_timeline_file(candidate)
    path = CATALOGUE / f"{name_or_path}.yaml"
    if not path.is_file():
        if name_or_path in plan_names():
            return plan_timeline(load_plan(name_or_path))
        raise UnknownTimeline(name_or_path)
    return load_timeline_file(path, display=f"timelines/{path.name}")
