"""The classroom: a web application to teach the crisis day by day, live, with its sources.

One teacher, any number of students. The teacher's browser holds the key printed when the
classroom starts (in a cookie: `/?key=...` sets it); it chooses and starts a timeline,
steps a day, runs at the timeline's pace, pauses, cancels, and forks a what-if. Students
open the classroom's address (or its QR code) and see what the class sees, live, through
server-sent events; every control request without the key is refused with 403 and changes
nothing. The page the teacher is on is the lesson: students' pages follow it.

Everything a page shows is rendered here, by autoescaping templates, and sent as HTML
fragments the browser inserts: a summary holding `<script>` arrives as text.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from activities.event_store import EventStore
from models.events import DomainEvent, EventSuppressed
from models.pace import PaceError, parse_pace
from models.washington import to_washington, washington_date
from service.classroom.charts import Series, draw
from service.classroom.feed import Feeds, Snapshot, is_run_id
from service.classroom.lesson import (
    VIEWS,
    View,
    changes_today,
    clock_label,
    day_label,
    lesson_day,
    shown_at,
    visible,
    world,
)
from service.classroom.limits import (
    ACCEPTS,
    QUEUE,
    BodyLimit,
    Gate,
    Limits,
    TooDeep,
    guarded_protocol,
    limits_for,
    open_files,
    parse_json,
    quiet_accept_errors,
)
from service.errors import ExcommError
from service.reading import views
from service.reading.exports import FORMATS, MEDIA_TYPES, SUFFIXES, Telling, render
from service.reading.templating import environment
from service.runs import control as timelines_on_temporal
from service.runs.branching import BranchError
from timelines.citations import resolve
from timelines.loader import catalogue_names, is_catalogue_name, load_timeline

STATIC = Path(__file__).resolve().parent / "static"
TEMPLATES = Path(__file__).resolve().parent / "templates"
COOKIE = "excomm_teacher"
KEEPALIVE_S = 15.0
DEFAULT_PACE = "1d=20s"
MOVE_KINDS = ("soviet_reply", "allied_answer", "incident")
_SAID = {
    "pause": "Paused.",
    "resume": "Running at the timeline's pace.",
    "step_day": "Stepping a day.",
    "cancel": "Cancelled.",
}
_ACTIONS = tuple(_SAID)  # what a teacher's control may ask, and what the page then says


@dataclass
class Lesson:
    """What the class is on: the teacher's page, which students' pages follow."""

    path: str | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def go(self, path: str) -> None:
        if path != self.path:
            self.path = path
            self.changed.set()
            self.changed = asyncio.Event()


@dataclass
class Classroom:
    feeds: Feeds
    key: str
    student_url: str
    lesson: Lesson = field(default_factory=Lesson)
    charts: dict[tuple[str, ...], str] = field(default_factory=dict)
    frames: Frames = field(default_factory=lambda: Frames())
    catalogue: frozenset[str] = field(default_factory=lambda: frozenset(catalogue_names()))

    def run_id(self, text: str) -> str:
        """`text` if it may name a run; else Refusal 404, before anything looks it up."""
        if not is_run_id(text, self.catalogue):
            raise Refusal(404, f"no run {text[:200]!r}")
        return text

    def is_teacher(self, request: Request) -> bool:
        given = request.cookies.get(COOKIE, "")
        return bool(given) and secrets.compare_digest(given, self.key)


class Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def student_address(host: str, port: int) -> str:
    """The address students type: the bound one, or this machine's LAN address when the
    classroom listens on every interface."""
    if host in ("0.0.0.0", "::", ""):
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the interface
            host = probe.getsockname()[0]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def build_app(feeds: Feeds, key: str, student_url: str, limits: Limits) -> Starlette:
    room = Classroom(feeds, key, student_url)
    templates = environment(TEMPLATES)

    def page(name: str, request: Request, status: int = 200, **context: Any) -> HTMLResponse:
        html = templates.get_template(name).render(
            teacher=room.is_teacher(request), student_url=room.student_url, views=VIEWS, **context
        )
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def teacher_only(
        handler: Callable[[Request], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def guarded(request: Request) -> Response:
            if not room.is_teacher(request):
                return JSONResponse({"error": "only the teacher controls the class"}, status_code=403)
            # A cross-site form cannot send JSON without the browser asking first.
            # Media types are case-insensitive (RFC 9110): Application/JSON is JSON too.
            if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
                return JSONResponse({"error": "send JSON (Content-Type: application/json)"}, status_code=415)
            try:
                return await handler(request)
            except Refusal as exc:
                return JSONResponse({"error": exc.message}, status_code=exc.status)
            except (ExcommError, ValueError) as exc:
                # No server to reach is the service's trouble (503), anything else the request's.
                unavailable = isinstance(exc, ExcommError) and exc.status == 3
                return JSONResponse(
                    {"error": str(exc).splitlines()[0]}, status_code=503 if unavailable else 400
                )

        return guarded

    async def body(request: Request) -> dict[str, Any]:
        try:
            data = parse_json(await request.body(), limits.json_depth)
        except TooDeep as exc:
            raise Refusal(400, str(exc)) from None
        except ValueError:
            raise Refusal(400, "the request is not JSON") from None
        if not isinstance(data, dict):
            raise Refusal(400, "the request must be a JSON object")
        return cast(dict[str, Any], data)

    # --- pages -------------------------------------------------------------------------------

    async def index(request: Request) -> Response:
        given = request.query_params.get("key")
        if given is not None:
            if not secrets.compare_digest(given, room.key):
                return page(
                    "forbidden.html", request, 403, reason="That is not this classroom's teacher key."
                )
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(COOKIE, room.key, httponly=True, samesite="strict", max_age=12 * 3600)
            return response
        if not room.is_teacher(request):
            if room.lesson.path is not None:
                return RedirectResponse(room.lesson.path, status_code=303)
            return page("waiting.html", request)
        timelines = [(name, load_timeline(name)) for name in catalogue_names()]
        listed = await timelines_on_temporal.runs()
        runs = [
            (run, f"/pair/{run.parent}/{run.id}" if run.parent else f"/runs/{run.id}", _clock_text(run.clock))
            for run in reversed(listed.runs)
        ][:30]
        return page("index.html", request, timelines=timelines, runs=runs, pace=DEFAULT_PACE)

    async def known(ids: list[str]) -> list[Snapshot]:
        """Each run's snapshot; Refusal 404 for an id that names no run, or a run that cannot
        be followed and has recorded nothing."""
        snapshots = []
        for text in ids:
            snapshot = await room.feeds.snapshot(room.run_id(text))
            if snapshot.problem is not None and not snapshot.events:
                raise Refusal(404, snapshot.problem)
            snapshots.append(snapshot)
        return snapshots

    async def runs_page(request: Request, ids: list[str]) -> Response:
        try:
            snapshots = await known(ids)
        except Refusal as exc:
            return page("forbidden.html", request, exc.status, reason=exc.message)
        # A GET changes nothing: the teacher's page asks to take the class here by a POST
        # with the key (/api/lesson), so no link or image on another page can move the class.
        return page("run.html", request, runs=snapshots, move_kinds=MOVE_KINDS, formats=FORMATS)

    async def run_page(request: Request) -> Response:
        return await runs_page(request, [request.path_params["run_id"]])

    async def pair_page(request: Request) -> Response:
        return await runs_page(request, [request.path_params["first"], request.path_params["second"]])

    async def source_page(request: Request) -> Response:
        citation = request.query_params.get("c", "")
        found = resolve(citation) if citation else None
        template = "source_fragment.html" if request.query_params.get("fragment") else "source.html"
        if found is None:
            return page(template, request, 404, citation=citation, found=None)
        return page(template, request, citation=citation, found=found)

    async def chart(request: Request) -> Response:
        run_id = room.run_id(request.path_params["run_id"])
        view = _view(request.query_params.get("view"))
        snapshot = await room.feeds.snapshot(run_id)
        if snapshot.missing:
            raise Refusal(404, snapshot.problem or f"no run {run_id!r}")
        compared = None
        if snapshot.parent is not None:
            compared = await room.feeds.snapshot(snapshot.parent)
        key = (
            run_id,
            view,
            str(len(snapshot.events)),
            str(snapshot.clock),
            str(compared and len(compared.events)),
        )
        svg = room.charts.get(key)
        if svg is None:
            svg = _chart(snapshot, compared, view)
            room.charts = {k: v for k, v in room.charts.items() if k[0] != run_id or k[1] != view}
            room.charts[key] = svg
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})

    async def export(request: Request) -> Response:
        run_id, suffix = request.path_params["run_id"], request.path_params["format"]
        chosen = next((f for f in FORMATS if f == suffix or SUFFIXES[f] == f".{suffix}"), None)
        if chosen is None:
            return JSONResponse({"error": f"no export format {suffix!r}"}, status_code=404)
        if run_id in room.catalogue:
            # A catalogue timeline by its name, as `excomm export NAME` (never a file).
            text = await views.export(run_id, chosen)
        else:
            # A run, from what the classroom reads of it: never `views.export`, which takes
            # a name ending in .yaml, or naming a file here, for a file to read.
            snapshot = await room.feeds.snapshot(room.run_id(run_id))
            if snapshot.missing:
                raise Refusal(404, snapshot.problem or f"no run {run_id!r}")
            if snapshot.problem is not None and not snapshot.events:
                raise Refusal(503, snapshot.problem)
            text = render(_telling(snapshot), chosen)
        disposition = "inline" if chosen == "html" else f'attachment; filename="{run_id}{SUFFIXES[chosen]}"'
        return Response(text, media_type=MEDIA_TYPES[chosen], headers={"Content-Disposition": disposition})

    async def qr(request: Request) -> Response:
        import segno

        # A whole SVG document (with its namespace): an <img> draws nothing less.
        drawn = io.BytesIO()
        segno.make(room.student_url, error="m").save(drawn, kind="svg", scale=6, dark="#111", light="#fff")
        return Response(drawn.getvalue(), media_type="image/svg+xml")

    # --- live ----------------------------------------------------------------------------------

    async def stream(request: Request) -> Response:
        ids = [i for i in request.query_params.get("runs", "").split(",") if i][:2]
        view = _view(request.query_params.get("view"))
        here = request.query_params.get("path")
        for run_id in ids:
            room.run_id(run_id)
        # A run nobody has is 404, not a stream that ends with an error event: a browser's
        # EventSource gives up after an answer other than 200, but reconnects to a stream
        # that ended, every few seconds, for as long as the page stays open. Only runs
        # that exist get a follower.
        for snapshot in await asyncio.gather(*(room.feeds.snapshot(i) for i in ids)):
            if snapshot.missing:
                raise Refusal(404, snapshot.problem or f"no run {snapshot.run_id!r}")
        return StreamingResponse(
            _messages(room, ids, view, here),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    # --- controls (the teacher's key, JSON) ---------------------------------------------------------

    async def start(request: Request) -> Response:
        data = await body(request)
        name = str(data.get("timeline", ""))
        if name not in catalogue_names():
            raise Refusal(400, f"unknown timeline {name!r}")
        try:
            pace = parse_pace(str(data.get("pace") or DEFAULT_PACE))
        except PaceError as exc:
            raise Refusal(400, str(exc)) from None
        run_id = await timelines_on_temporal.start(load_timeline(name), pace, paused=True)
        room.lesson.go(f"/runs/{run_id}")
        return JSONResponse({"id": run_id, "url": f"/runs/{run_id}"})

    async def take_lesson(request: Request) -> Response:
        """The teacher takes the class to a run's page, or to a run and its branch."""
        path = str((await body(request)).get("path", ""))
        parts = path.strip("/").split("/")
        if not (len(parts) == 2 and parts[0] == "runs") and not (len(parts) == 3 and parts[0] == "pair"):
            raise Refusal(400, "a lesson is a run's page, /runs/ID, or a pair's, /pair/ID/BRANCH")
        ids = [room.run_id(i) for i in parts[1:]]
        if len(set(ids)) != len(ids):
            raise Refusal(400, "a pair is two different runs")
        await known(ids)
        room.lesson.go("/" + "/".join([parts[0], *ids]))
        return JSONResponse({"path": room.lesson.path})

    async def control(request: Request) -> Response:
        run_id = room.run_id(request.path_params["run_id"])
        action = str((await body(request)).get("action", ""))
        if action not in _ACTIONS:
            raise Refusal(400, f"unknown action {action!r}: use {', '.join(_ACTIONS)}")
        if action == "cancel":
            await timelines_on_temporal.cancel(run_id)
        else:
            await timelines_on_temporal.steer(run_id, cast(timelines_on_temporal.Steering, action))
        room.feeds.nudge(run_id)
        return JSONResponse({"said": _SAID[action]})

    async def fork(request: Request) -> Response:
        run_id = room.run_id(request.path_params["run_id"])
        data = await body(request)
        kind = data.get("kind")
        fields = data.get("fields") or {}
        if kind not in MOVE_KINDS:
            raise Refusal(400, f"unknown move kind {kind!r} (known: {', '.join(MOVE_KINDS)})")
        if not isinstance(fields, dict):
            raise Refusal(400, "fields: a JSON object of the move's fields")
        snapshot = await room.feeds.snapshot(run_id)
        if snapshot.clock is None or not snapshot.events:
            raise Refusal(409, f"{run_id} has no events yet to fork from")
        try:
            branch_id, _ = await timelines_on_temporal.branch(
                run_id,
                at=snapshot.clock,
                moves=[{**fields, "kind": kind}],
                paused=True,
                pace=None,
                clock=snapshot.clock,
            )
        except BranchError as exc:
            # The command line's option name means nothing on a page.
            raise Refusal(400, re.sub(r"^--move \d+: ", "", str(exc))) from None
        # The branch starts paused at the timeline's start: it is stepped to the day the class
        # is on, so both stand at the same day and are stepped together from there.
        days = (washington_date(snapshot.clock) - washington_date(snapshot.events[0].at)).days
        await timelines_on_temporal.step_days(branch_id, max(days, 0))
        path = f"/pair/{run_id}/{branch_id}"
        room.lesson.go(path)
        return JSONResponse({"id": branch_id, "url": path})

    def refusing(
        handler: Callable[[Request], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def answered(request: Request) -> Response:
            try:
                return await handler(request)
            except Refusal as exc:
                return JSONResponse({"error": exc.message}, status_code=exc.status)

        return answered

    routes = [
        Route("/", index),
        Route("/runs/{run_id}", run_page),
        Route("/pair/{first}/{second}", pair_page),
        Route("/runs/{run_id}/chart.svg", refusing(chart)),
        Route("/runs/{run_id}/export/{format}", refusing(export)),
        Route("/source", source_page),
        Route("/qr.svg", qr),
        Route("/stream", refusing(stream)),
        Route("/api/start", teacher_only(start), methods=["POST"]),
        Route("/api/lesson", teacher_only(take_lesson), methods=["POST"]),
        Route("/api/runs/{run_id}/control", teacher_only(control), methods=["POST"]),
        Route("/api/runs/{run_id}/fork", teacher_only(fork), methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(BodyLimit, limit=limits.body_bytes)])


def _clock_text(clock: str | None) -> str:
    if not clock:
        return ""
    try:
        return clock_label(datetime.fromisoformat(clock))
    except ValueError:
        return clock


def _view(text: str | None) -> View:
    return next((view for view in VIEWS if view == text), "happened")


def _telling(snapshot: Snapshot) -> Telling:
    """What an export of a run tells, titled as `excomm export ID` titles it."""
    title, description = snapshot.run_id, f"Run {snapshot.run_id} of excomm."
    if is_catalogue_name(snapshot.timeline):
        definition = load_timeline(snapshot.timeline)
        branch = f", a branch of {snapshot.parent}" if snapshot.parent else ""
        title, description = f"{definition.title} (run {snapshot.run_id}{branch})", definition.description
    return Telling(
        snapshot.run_id, title, description, snapshot.initial, list(snapshot.events), snapshot.fork_seq
    )


def _chart(snapshot: Snapshot, compared: Snapshot | None, view: View) -> str:
    ladder: list[str] = []
    with contextlib.suppress(Exception):  # a run of a file no longer in the catalogue has no ladder
        plan = load_timeline(snapshot.timeline).plan
        ladder = [r.rung for r in plan.ladder] if plan is not None else []
    series = Series(
        "this branch" if compared is not None else snapshot.run_id, snapshot.initial, visible(snapshot, view)
    )
    other = (
        Series("the run it was forked from", compared.initial, compared.events)
        if compared is not None
        else None
    )
    return draw(series, other, ladder, snapshot.clock)


def _sse(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@dataclass(frozen=True)
class Frame:
    """What every page of one view of one run is sent for a snapshot: its events' messages
    in order, and the state message. Rendered once and shared by all the pages that watch,
    so fifty students cost one rendering, not fifty."""

    events: tuple[tuple[int, str], ...]
    state: str


class Frames:
    def __init__(self) -> None:
        templates = environment(TEMPLATES)
        self._event_template = templates.get_template("event.html")
        self._state_template = templates.get_template("state.html")
        self._latest: dict[tuple[str, View], tuple[Snapshot, Frame]] = {}
        self._events: dict[tuple[str, View, int], str] = {}

    def of(self, snapshot: Snapshot, view: View) -> Frame:
        key = (snapshot.run_id, view)
        cached = self._latest.get(key)
        if cached is not None and cached[0] is snapshot:
            return cached[1]
        messages = []
        for event in visible(snapshot, view):
            text = self._events.get((snapshot.run_id, view, event.seq))
            if text is None:
                text = _sse("event", _event_message(self._event_template, snapshot, event, view))
                self._events[(snapshot.run_id, view, event.seq)] = text
            messages.append((event.seq, text))
        changes = changes_today(snapshot, view)
        day = lesson_day(snapshot)
        state = _sse(
            "state",
            {
                "run": snapshot.run_id,
                "clock": clock_label(snapshot.clock),
                "day": day_label(day) if day is not None else "",
                "paused": snapshot.paused,
                "status": snapshot.status,
                "problem": snapshot.problem,
                "last_seq": snapshot.events[-1].seq if snapshot.events else 0,
                "html": self._state_template.render(world=world(snapshot, view), changes=changes),
            },
        )
        frame = Frame(tuple(messages), state)
        self._latest[key] = (snapshot, frame)
        return frame


async def _messages(room: Classroom, ids: list[str], view: View, here: str | None) -> AsyncIterator[str]:
    """A page's stream: every event it has not shown, the state when it changes, the clock,
    and where the lesson went when the teacher moved on."""
    async with contextlib.AsyncExitStack() as stack:
        followers = [await stack.enter_async_context(room.feeds.listening(i)) for i in ids]
        sent: dict[str, set[int]] = {i: set() for i in ids}
        shown: dict[str, str] = {}
        yield ": the classroom's live feed\n\n"
        while True:
            waits = [f.changed for f in followers] + [room.lesson.changed]
            if here is not None and room.lesson.path is not None and room.lesson.path != here:
                yield _sse("goto", {"path": room.lesson.path})
            for run_id, follower in zip(ids, followers, strict=True):
                snapshot = follower.snapshot
                if snapshot is None:
                    continue
                frame = room.frames.of(snapshot, view)
                fresh = [text for seq, text in frame.events if seq not in sent[run_id]]
                sent[run_id].update(seq for seq, _ in frame.events)
                if shown.get(run_id) != frame.state:
                    shown[run_id] = frame.state
                    fresh.append(frame.state)
                if fresh:
                    yield "".join(fresh)
            if not await _first_of(waits, KEEPALIVE_S):
                yield ": keepalive\n\n"


async def _first_of(events: list[asyncio.Event], timeout: float) -> bool:
    """Wait for any of the events; False if the timeout came first."""
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        done, _ = await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        return bool(done)
    finally:
        for waiter in waiters:
            waiter.cancel()


def _event_message(template: Any, snapshot: Snapshot, event: DomainEvent, view: View) -> dict[str, Any]:
    at = to_washington(shown_at(event, view))
    after_fork = snapshot.fork_seq is not None and event.seq > snapshot.fork_seq
    html = template.render(
        event=event,
        at=at,
        view=view,
        resolve=resolve,
        after_fork=after_fork,
        departs=snapshot.fork_seq is not None and event.seq == snapshot.fork_seq + 1,
        suppressed=isinstance(event, EventSuppressed),
    )
    return {"run": snapshot.run_id, "seq": event.seq, "day": day_label(washington_date(at)), "html": html}


def _quiet_server_class() -> type[Any]:
    import uvicorn

    class Quiet(uvicorn.Server):
        """uvicorn without its signal handlers: Ctrl-C and SIGTERM are excomm's to handle
        (they stop the classroom, the worker and the server in order)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return Quiet


@dataclass(frozen=True)
class Opened:
    teacher_url: str
    student_url: str


def bind(host: str, port: int) -> socket.socket:
    """The classroom's listening socket, bound before anything else starts, so a taken
    port is said in one line at once."""
    from service.errors import Refused

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        reason = (exc.strerror or str(exc)).lower()
        raise Refused(f"the classroom cannot listen on {host}:{port}: {reason}") from None
    listener.listen(128)
    return listener


async def serve_classroom(
    client: Any,
    store: EventStore,
    listener: socket.socket,
    on_ready: Callable[[Opened], None],
    until: asyncio.Event,
    key: str | None = None,
) -> None:
    """The classroom on a bound socket until `until` is set."""
    import uvicorn

    quiet = _quiet_server_class()
    host, bound_port = listener.getsockname()[:2]
    teacher_key = key or secrets.token_urlsafe(18)
    students = student_address(host, bound_port)
    feeds = Feeds(client, store)
    limits = limits_for(open_files())
    quiet_accept_errors()
    app = build_app(feeds, teacher_key, students, limits)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
        http=guarded_protocol(Gate(limits)),
        timeout_keep_alive=limits.keep_alive_s,
        h11_max_incomplete_event_size=limits.head_bytes,
        backlog=ACCEPTS,
    )
    server = quiet(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    stopping = asyncio.create_task(until.wait())
    try:
        while not server.started and not serving.done():
            await asyncio.sleep(0.02)
        if serving.done():
            serving.result()
        # asyncio took `backlog` for both the round of accepts and the kernel's queue; the
        # queue may be long, since what waits in it takes none of the process's files.
        listener.listen(QUEUE)
        on_ready(Opened(f"{students}?key={teacher_key}", students))
        await asyncio.wait([serving, stopping], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        server.should_exit = True
        await feeds.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(serving, timeout=5)
        listener.close()
