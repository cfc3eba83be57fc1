"""Scenario discovery: the conditions under which an outcome happens, as readable rules.

A decision tree (CART, scikit-learn) is grown on the members' drawn values and
parameters to tell the members with the outcome from the rest; each of its leaves is a
box of conditions. A box is reported, as in PRIM's vocabulary, with its density (the
share of its members with the outcome) and its coverage (the share of all members with
the outcome that it holds). Boxes denser than the outcome's share over all members are
the rules, the densest first.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from models.parameters import BadParameter

if TYPE_CHECKING:
    import pandas as pd

# What a members table holds that is not an input of the member: who it is and what came of it.
NOT_INPUTS = {"member", "seed", "point", "outcome", "outcome_at", "outcome_day", "rung", "rungs", "events"}
NOT_INPUTS |= {"first_at", "last_at", "variant", "sampler"}
MAX_CATEGORIES = 12


@dataclass(frozen=True)
class Condition:
    column: str
    relation: str  # "<=", ">", "==", "!="
    value: float | str | bool
    or_none: bool = False  # members that drew no value for the column also meet it

    def text(self) -> str:
        return _say(self)


@dataclass(frozen=True)
class Rule:
    outcome: str
    conditions: tuple[Condition, ...]
    members: int  # in the rule's box
    hits: int  # of them, with the outcome
    density: float
    coverage: float
    outcome_members: int  # all members with the outcome, in or out of the box

    def text(self) -> str:
        where = " and ".join(c.text() for c in self.conditions) or "every member"
        outcome = self.outcome.replace("_", " ")
        return (
            f"{outcome} in {self.density:.0%} of members where {where}; "
            f"{self.coverage:.0%} of all {outcome} ({self.hits:,} of {self.outcome_members:,}), "
            f"in a box of {self.members:,} members"
        )


@dataclass(frozen=True)
class Discovery:
    outcome: str
    members: int
    hits: int
    rules: list[Rule]
    depth: int = 3  # at most this many conditions a rule
    min_leaf: float = 0.02  # no box holds fewer than this share of the members (nor 5)

    @property
    def smallest_box(self) -> int:
        """The fewest members a rule's box may hold."""
        return max(5, int(self.min_leaf * self.members))

    @property
    def share(self) -> float:
        return self.hits / self.members if self.members else 0.0


def _inputs(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, tuple[str, object]]]:
    """The members' inputs as numbers a tree can split: numbers as they are (a value not
    drawn stays missing), yes/no as 0/1, and each value of a category as its own 0/1
    column. Also, for each such column, the input and value it stands for."""
    import pandas as pd

    columns: dict[str, pd.Series] = {}
    meaning: dict[str, tuple[str, object]] = {}
    for name in table.columns:
        if name in NOT_INPUTS or name.endswith(".at") or name.endswith(".terms"):
            continue
        column = table[name]
        if column.nunique(dropna=True) < 2:
            continue  # the same for every member: it explains nothing
        if column.dtype == bool:
            columns[name] = column.astype(float)
            meaning[name] = (name, True)
        elif pd.api.types.is_numeric_dtype(column):
            columns[name] = column.astype(float)
            meaning[name] = (name, None)
        elif column.nunique() <= MAX_CATEGORIES:
            for value in sorted(column.dropna().unique(), key=str):
                key = f"{name}={value}"
                columns[key] = (column == value).astype(float)
                meaning[key] = (name, value)
    return pd.DataFrame(columns), meaning


def discover(
    table: pd.DataFrame, outcome: str, rules: int = 3, depth: int = 3, min_leaf: float = 0.02
) -> Discovery:
    """The rules under which `outcome` happens among these members (a members table): at
    most `rules` of them, each of at most `depth` conditions, each box holding at least
    `min_leaf` of the members (and at least 5), so that no rule describes a handful."""
    from sklearn.tree import DecisionTreeClassifier

    if "outcome" not in table:
        raise BadParameter("this is not a members table (no outcome column): write one with --members FILE")
    known = sorted(str(o) for o in table["outcome"].dropna().unique())
    if outcome not in known:
        raise BadParameter(f"no member has outcome {outcome!r} (there: {', '.join(known)})")
    target = (table["outcome"] == outcome).to_numpy()
    inputs, meaning = _inputs(table)
    hits = int(target.sum())
    if inputs.empty or hits == len(table):
        return Discovery(outcome, len(table), hits, [], depth, min_leaf)
    tree = DecisionTreeClassifier(
        max_depth=depth, min_samples_leaf=max(5, int(min_leaf * len(table))), random_state=0
    ).fit(inputs.to_numpy(), target)
    leaves = tree.apply(inputs.to_numpy())
    found: list[Rule] = []
    for leaf, path in _paths(tree).items():
        inside = leaves == leaf
        members, leaf_hits = int(inside.sum()), int(target[inside].sum())
        if not members or leaf_hits / members <= hits / len(table):
            continue
        conditions = _merged([_condition(inputs, meaning, tree, node, left) for node, left in path])
        found.append(
            Rule(outcome, tuple(conditions), members, leaf_hits, leaf_hits / members, leaf_hits / hits, hits)
        )
    found.sort(key=lambda r: (-r.density, -r.coverage))
    return Discovery(outcome, len(table), hits, found[:rules], depth, min_leaf)


def _paths(tree: object) -> dict[int, list[tuple[int, bool]]]:
    """Each leaf of a fitted tree, and the splits on the way to it (node, went left)."""
    structure = tree.tree_  # type: ignore[attr-defined]
    paths: dict[int, list[tuple[int, bool]]] = {}

    def walk(node: int, path: list[tuple[int, bool]]) -> None:
        left, right = structure.children_left[node], structure.children_right[node]
        if left == right:  # a leaf
            paths[node] = path
            return
        walk(left, [*path, (node, True)])
        walk(right, [*path, (node, False)])

    walk(0, [])
    return paths


def _condition(
    inputs: pd.DataFrame, meaning: dict[str, tuple[str, object]], tree: object, node: int, left: bool
) -> Condition:
    structure = tree.tree_  # type: ignore[attr-defined]
    key = inputs.columns[structure.feature[node]]
    threshold = float(structure.threshold[node])
    column, value = meaning[key]
    if value is None:  # a number: left is at most the threshold
        missing_left = bool(getattr(structure, "missing_go_to_left", [False] * (node + 1))[node])
        has_missing = bool(inputs[key].isna().any())
        drawn = inputs[key].dropna()
        # A count splits between two whole numbers: at most 1, or more than 1 (not 1.5).
        bound = float(math.floor(threshold)) if (drawn == drawn.round()).all() else round(threshold, 2)
        return Condition(column, "<=" if left else ">", bound, has_missing and missing_left == left)
    # A 0/1 column: left is 0 (not that value), right is 1.
    if value is True:
        return Condition(column, "==", not left)
    return Condition(column, "!=" if left else "==", str(value))


def _merged(conditions: list[Condition]) -> list[Condition]:
    """The tightest bound of each kind on each input; an equality makes the column's
    inequalities say nothing more."""
    kept: dict[tuple[str, str], Condition] = {}
    for condition in conditions:
        key = (condition.column, condition.relation)
        if condition.relation == "!=":
            key = (condition.column, f"!={condition.value}")
        held = kept.get(key)
        if held is None:
            kept[key] = condition
        elif condition.relation == "<=" and isinstance(held.value, float):
            kept[key] = condition if float(condition.value) < held.value else held
        elif condition.relation == ">" and isinstance(held.value, float):
            kept[key] = condition if float(condition.value) > held.value else held
    equal = {c.column for c in kept.values() if c.relation == "=="}
    return [c for c in kept.values() if c.relation == "==" or c.column not in equal]


_SOVIET = re.compile(r"^soviet\.(?P<track>[^.]+)\.(?P<field>answers|answer|after_h)$")
_ALLY = re.compile(r"^ally\.(?P<ally>[^.]+)\.(?P<field>answer|after_h)$")
_INCIDENT = re.compile(r"^incident\.(?P<kind>[^.]+)\.(?P<field>happened|after_h)$")


def _say(condition: Condition) -> str:
    """A condition in words, as an analyst would write it."""
    column, relation, value = condition.column, condition.relation, condition.value
    more = relation == ">"
    none = " (or none came)" if condition.or_none else ""
    if found := _SOVIET.match(column):
        track = found["track"].replace("_", " ")
        if found["field"] == "answer":
            return f"the Soviet answer on the {track} track is {'' if relation == '==' else 'not '}{value}"
        if found["field"] == "answers":
            times = "once" if value == 1 else f"{value:g} times"
            return f"Moscow answers on the {track} track {'more than' if more else 'at most'} {times}"
        takes = "more than" if more else "at most"
        return f"the Soviet answer on the {track} track takes {takes} {value:g} h{none}"
    if found := _ALLY.match(column):
        ally = found["ally"].replace("_", " ").title()
        if found["field"] == "answer":
            if value == "none":
                return f"{ally} {'does not answer' if relation == '==' else 'answers'}"
            return f"{ally} {'answers' if relation == '==' else 'does not answer'} {value}"
        return f"{ally} answers {'after more than' if more else 'within'} {value:g} h{none}"
    if found := _INCIDENT.match(column):
        kind = found["kind"].replace("_", " ")
        if found["field"] == "happened":
            return f"{'an incident' if value else 'no incident'} ({kind})"
        return f"the {kind} comes {'after more than' if more else 'within'} {value:g} h{none}"
    if column == "refused":
        return f"the world refuses {'more than' if more else 'at most'} {value:g} of the moves played"
    unit = " h" if column.endswith("_h") else ""
    name = column.removesuffix("_h")
    if relation in ("<=", ">"):
        return f"{name} is {'above' if more else 'at most'} {value:g}{unit}{none}"
    return f"{name} {'is' if relation == '==' else 'is not'} {value}"


def rules_frame(found: Discovery) -> pd.DataFrame:
    """The rules as a table: text, members in the box, hits among them, all members with
    the outcome, density (hits / members) and coverage (hits / outcome_members)."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "rule": r.text(),
                "conditions": " and ".join(c.text() for c in r.conditions),
                "members": r.members,
                "hits": r.hits,
                "outcome_members": r.outcome_members,
                "density": round(r.density, 4),
                "coverage": round(r.coverage, 4),
            }
            for r in found.rules
        ],
        columns=["rule", "conditions", "members", "hits", "outcome_members", "density", "coverage"],
    )
