"""A plan drawn as a Mermaid flowchart: its steps, waits with deadlines, branches, paragraphs."""

from __future__ import annotations

from models.durations import format_duration
from models.outline import describe, paragraph_of
from models.plan import PlanDefinition
from models.steps import ChoiceStep, EscalateStep, Step, SubSteps, WaitStep, sub_steps
from models.timeline import TimelineDefinition
from models.washington import to_washington


def _label(text: str) -> str:
    return text.replace('"', "'").replace("\n", " ")


class _Drawing:
    def __init__(self, plan: PlanDefinition) -> None:
        self.plan = plan
        self.lines = ["flowchart TD", '  start(["start"])']
        self.count = 0

    def node(self, step: Step, inherited: str) -> str:
        self.count += 1
        name = f"s{self.count}"
        paragraph = paragraph_of(self.plan, step, inherited)
        text = _label(f"{paragraph + ': ' if paragraph else ''}{describe(self.plan, step)}")
        shape = ('{{"', '"}}') if isinstance(step, WaitStep | ChoiceStep) else ('["', '"]')
        self.lines.append(f"  {name}{shape[0]}{text}{shape[1]}")
        return name

    def edge(self, source: str, target: str, label: str = "") -> None:
        arrow = f"-->|{_label(label)}|" if label else "-->"
        self.lines.append(f"  {source} {arrow} {target}")

    def sequence(
        self, steps: tuple[Step, ...], before: list[tuple[str, str]], inherited: str
    ) -> list[tuple[str, str]]:
        """Draw steps after `before` (node, edge label) ends; return the ends of the sequence."""
        ends = before
        for step in steps:
            name = self.node(step, inherited)
            for source, label in ends:
                self.edge(source, name, label)
            ends = self.children(step, name, paragraph_of(self.plan, step, inherited))
        return ends

    def children(self, step: Step, name: str, paragraph: str) -> list[tuple[str, str]]:
        if isinstance(step, EscalateStep):
            rungs = " -> ".join(r.rung for r in self.plan.ladder)
            self.count += 1
            ladder = f"s{self.count}"
            self.lines.append(f'  {ladder}["2b: {_label(rungs)}"]')
            self.edge(name, ladder, f"after {format_duration(self.plan.deadline)} or failure")
            return [(ladder, "")]
        held = sub_steps(step)
        if not held:
            return [(name, "")]
        ends: list[tuple[str, str]] = []
        for sequence in held:
            ends += self.sequence(sequence.steps, [(name, self.edge_label(step, sequence))], paragraph)
        return ends

    @staticmethod
    def edge_label(step: Step, sequence: SubSteps) -> str:
        """What leads from a step into one of the sequences it holds."""
        if sequence.role == "then":
            return "move"
        if sequence.role == "timeout" and isinstance(step, WaitStep):
            return f"after {format_duration(step.deadline)}"
        if sequence.role == "case" and sequence.condition is not None:
            return str(sequence.condition.model_dump(by_alias=True, exclude_none=True))
        return "otherwise" if sequence.role == "else" else ""


def mermaid(plan: PlanDefinition) -> str:
    drawing = _Drawing(plan)
    ends = drawing.sequence(plan.steps, [("start", "")], "")
    drawing.lines.append('  finish(["end"])')
    for source, label in ends:
        drawing.edge(source, "finish", label)
    return "\n".join(drawing.lines) + "\n"


def mermaid_timeline(timeline: TimelineDefinition) -> str:
    """A timeline that runs no plan (the record), as a Mermaid timeline: its days, each with
    what happened at what hour, in Washington time. A colon separates events in Mermaid's
    syntax, so hours are written 07.30 and colons in summaries become dashes."""
    lines = ["timeline", f"  title {_label(timeline.title).replace(':', ' -')}"]
    day = None
    for event in timeline.events:
        local = to_washington(event.at)
        text = f"{local:%H.%M} {_label(event.summary).replace(':', ' -')}"
        if local.date() != day:
            day = local.date()
            lines.append(f"  {local:%d %b %Y} : {text}")
        else:
            lines.append(f"    : {text}")
    return "\n".join(lines) + "\n"
