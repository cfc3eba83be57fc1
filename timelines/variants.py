"""Variants: plan files that extend another plan and override only what changes.

A variant names its base (`extends: memo`) and gives only its differences:

- any top-level field (`deadline: 36h`, `transit: {cable: 5m}`): mappings are merged key by
  key, anything else replaces the base's value;
- `override_steps`: steps that replace the base's steps of the same id;
- `remove_steps`: ids of the base's steps to drop;
- `add_branches`: `{parallel-step-id: [[steps], ...]}`, branches added to a parallel step;
- `steps`: the whole list of steps, replacing the base's.

Everything is resolved to plain data before validation; problems are reported at the
place in the variant file that causes them.
"""

from __future__ import annotations

import copy
from typing import Any

from timelines.safe_yaml import Document, FileProblems, Problem

VARIANT_KEYS = ("extends", "override_steps", "remove_steps", "add_branches")


def _fail(doc: Document, key: tuple[str | int, ...], code: str, message: str) -> FileProblems:
    line, column = doc.key_places.get(key) or doc.place(key)
    return FileProblems([Problem(doc.path, line, column, code, message)])


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return override


def _children(step: dict[str, Any]) -> list[list[Any]]:
    """The lists of sub-steps a step holds, whatever its kind."""
    lists: list[list[Any]] = []
    for key in ("steps", "then", "timeout", "else"):
        if isinstance(step.get(key), list):
            lists.append(step[key])
    for branch in step.get("branches") or []:
        if isinstance(branch, list):
            lists.append(branch)
    for case in step.get("when") or []:
        if isinstance(case, dict) and isinstance(case.get("then"), list):
            lists.append(case["then"])
    return lists


def _edit(steps: list[Any], step_id: str, edit: Any) -> bool:
    """Apply `edit(list, index)` to the step with that id, wherever it is; True if found."""
    for index, step in enumerate(steps):
        if isinstance(step, dict) and step.get("id") == step_id:
            edit(steps, index)
            return True
        if isinstance(step, dict) and any(_edit(sub, step_id, edit) for sub in _children(step)):
            return True
    return False


def _put(replacement: Any) -> Any:
    def put(where: list[Any], at: int) -> None:
        where[at] = replacement

    return put


def _drop(where: list[Any], at: int) -> None:
    del where[at]


def _extend(branches: list[Any]) -> Any:
    def extend(where: list[Any], at: int) -> None:
        where[at] = {**where[at], "branches": [*where[at].get("branches", []), *branches]}

    return extend


def _cite_own(steps: Any, sources: Any) -> None:
    """A step a variant inherits keeps citing the plan that wrote it: what the memo's own
    steps do cites the memo, not the variant (so a branch that takes a variant from its fork
    keeps its past as it was)."""
    if not isinstance(steps, list) or not isinstance(sources, list):
        return
    for step in steps:
        if isinstance(step, dict):
            if step.get("kind") == "action" and "sources" not in step:
                step["sources"] = list(sources)
            for sub in _children(step):
                _cite_own(sub, sources)


def resolve(doc: Document, load_base: Any, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """The plan data of a file, with its `extends` chain resolved and its overrides applied."""
    data = doc.data
    base_name = data.get("extends")
    if base_name is None:
        return {k: v for k, v in data.items() if k not in VARIANT_KEYS}
    if not isinstance(base_name, str):
        raise _fail(doc, ("extends",), "E-WRONG-TYPE", "extends: the name of a plan, such as memo")
    for required in ("id", "version"):
        if required not in data:
            raise FileProblems(
                [
                    Problem(
                        doc.path, 1, 1, "E-MISSING-FIELD", f"{required}: a variant needs its own {required}"
                    )
                ]
            )
    if base_name in seen or base_name == data.get("id"):
        chain = " -> ".join((*seen, str(data.get("id")), base_name))
        raise _fail(doc, ("extends",), "E-CYCLE", f"extends: a cycle ({chain})")
    try:
        base = copy.deepcopy(load_base(base_name, (*seen, str(data.get("id")))))
    except LookupError:
        raise _fail(doc, ("extends",), "E-UNKNOWN-PLAN", f"extends: unknown plan {base_name!r}") from None
    _cite_own(base.get("steps"), base.get("sources"))
    plain = {k: v for k, v in data.items() if k not in VARIANT_KEYS}
    merged: dict[str, Any] = _merge(base, plain)
    listed = merged.get("steps")
    steps: list[Any] = listed if isinstance(listed, list) else []

    def missing(key: tuple[str | int, ...], step_id: object) -> FileProblems:
        where = ".".join(str(k) for k in key)
        return _fail(doc, key, "E-UNKNOWN-STEP", f"{where}: no step {step_id!r} in {base_name}")

    for key, kind, words in (
        ("override_steps", list, "a list of steps"),
        ("remove_steps", list, "a list of step ids"),
        ("add_branches", dict, "a mapping of step id to branches"),
    ):
        if data.get(key) is not None and not isinstance(data[key], kind):
            raise _fail(doc, (key,), "E-WRONG-TYPE", f"{key}: {words}")
    for index, replacement in enumerate(data.get("override_steps") or []):
        step_id = replacement.get("id") if isinstance(replacement, dict) else None
        if not isinstance(step_id, str) or not _edit(steps, step_id, _put(replacement)):
            raise missing(("override_steps", index), step_id)
    for index, step_id in enumerate(data.get("remove_steps") or []):
        if not isinstance(step_id, str) or not _edit(steps, step_id, _drop):
            raise missing(("remove_steps", index), step_id)
    for step_id, branches in (data.get("add_branches") or {}).items():
        if not isinstance(branches, list):
            raise _fail(
                doc, ("add_branches", step_id), "E-WRONG-TYPE", f"add_branches.{step_id}: a list of branches"
            )
        if not _edit(steps, step_id, _extend(branches)):
            raise missing(("add_branches", step_id), step_id)
    if steps:
        merged["steps"] = steps
    return merged
