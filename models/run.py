"""What a timeline run is given, and what it reports: the workflow's public contract."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from models.events import DomainEvent
from models.pace import INSTANT, Pace
from models.plan import PlanDefinition
from models.state import WorldState
from models.timeline import InitialWorld, TimelineDefinition


class TimelineRun(BaseModel):
    """The input of a timeline workflow: everything it needs, fixed at start.

    The whole definition travels in the input, so a running timeline keeps the version
    it started with even if the file in the catalogue changes under it.
    """

    model_config = ConfigDict(frozen=True)

    timeline: TimelineDefinition
    pace: Pace = INSTANT
    start_paused: bool = False
    rules: int = Field(
        default=1, ge=1, description="the engine's rules the run started under (models.engine.RULES)"
    )


class ExchangeOpened(BaseModel):
    """The input of a child workflow holding one ally's consultation or one track."""

    model_config = ConfigDict(frozen=True)

    timeline_id: str
    party: str
    step: str
    opened_at: AwareDatetime
    deadline: AwareDatetime | None
    real_timeout_s: float | None = Field(description="the deadline in wall time; none at instant pace")


class ExchangeRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    party: str
    step: str
    result: str
    replies: tuple[str, ...]
    deadline_timer_fired: bool


class MoveReceipt(BaseModel):
    """What `submit_move` answers when it takes a move: when it happens."""

    model_config = ConfigDict(frozen=True)

    kind: str
    at: AwareDatetime


class Progress(BaseModel):
    """Where a running timeline stands: its simulated clock and how far it has got."""

    model_config = ConfigDict(frozen=True)

    timeline: str
    version: int
    pace: str
    clock: AwareDatetime
    paused: bool  # held: what it ran is recorded, and it waits for a control
    last_seq: int
    finished: bool
    rejected_moves: tuple[str, ...] = ()  # the newest refusals' reasons
    refused: int = 0  # how many moves were refused in all
    # Whether the clock is paused: held, or still stepping a day towards its hold. A step
    # is taken in either (each adds a day). None from a worker older than this field.
    clock_paused: bool | None = None
    variant: str | None = None  # a branch's variant: the plan it runs from its fork
    behaviour: str | None = None  # the behaviours that took over in it, in words
    # A paced wait under way: since when (real time), from which simulated instant, and to
    # which. A query's clock stands still between the workflow's tasks; an observer's own
    # real clock moves it on (service.classroom.feed). None when not waiting, or from an
    # older worker.
    waiting_since: AwareDatetime | None = None
    waiting_from: AwareDatetime | None = None
    waiting_until: AwareDatetime | None = None


class EventBatch(BaseModel):
    """Events to append to the event store, keyed by timeline id and seq."""

    model_config = ConfigDict(frozen=True)

    timeline_id: str
    timeline: str
    version: int
    initial: InitialWorld
    events: tuple[DomainEvent, ...] = Field(min_length=1)
    parent: str | None = None
    fork_seq: int | None = None
    variant: str | None = None  # a branch's variant, for `tree`
    behaviour: str | None = None  # the behaviours that play in it, in words, for `tree`


class TimelineResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    timeline: str
    events: int
    state: WorldState


class EnsembleJob(BaseModel):
    """An ensemble to run on Temporal: N members of a plan, seeded from `seed`."""

    model_config = ConfigDict(frozen=True)

    plan: PlanDefinition
    seed: int = Field(ge=0)
    runs: int = Field(ge=1)
    batch: int = Field(ge=1)
    heartbeat_timeout_s: float = Field(default=20, gt=0)


class EnsembleBatch(BaseModel):
    """Members `start` .. `start + count` of an ensemble, for one activity."""

    model_config = ConfigDict(frozen=True)

    plan: PlanDefinition
    seed: int
    start: int = Field(ge=0)
    count: int = Field(ge=1)
