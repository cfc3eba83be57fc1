"""Bounds on what a stranger can make the classroom hold: connections, time, bytes, depth.

`excomm classroom --host 0.0.0.0` listens where anyone on the network can connect, and
uvicorn (0.55, its h11 protocol: httptools is not installed) bounds little of what they
send:

- `timeout_keep_alive` is armed only once a response is sent: a connection that never
  sends a byte, or sends its request a byte at a time, is kept for ever;
- `limit_concurrency` is checked once a whole request head has arrived, and answers 503:
  it closes nothing, and connections that send nothing count for nothing;
- `h11_max_incomplete_event_size` bounds a request's head, not its body, which the app
  then reads whole, whatever its size;
- asyncio accepts up to a whole backlog (2,048) in one round, each a file before the
  protocol can close it: at the process's open-files limit accept() fails, and asyncio
  logs it with its traceback for every accept left in the round, stops accepting for a
  second, and everyone, the teacher first, waits.

So the classroom's protocol, a subclass of uvicorn's, adds a deadline to each request
(its head and body within `Limits.request_s` of the connection's start, or of its first
byte on a kept-alive connection: else 408, closed) and a cap on open connections, in all
and per client address, well below the open-files limit. A connection past a cap first
closes the oldest one that is waiting for a request (it has sent none yet, or its last
was answered): the same address's for the address's cap, and for the cap in all, one of
the addresses holding the most (never of one holding fewer than the newcomer's would);
with none waiting, the oldest of an address holding twice what the newcomer's would.
Only then is the newcomer refused (503). Accepts are taken `ACCEPTS` at a time: the
files a few rounds take before their connections are admitted or closed, and those of
the connections closed for room until the next round, stay inside `RESERVE`.

The app's middleware refuses a body over `Limits.body_bytes` with 413 before reading it
(or as soon as a chunked one passes the limit) and closes the connection; `parse_json`
refuses JSON nested deeper than `Limits.json_depth` before it is parsed recursively.

Nothing here logs a line per connection: what was refused, closed or timed out is counted
and said at most once a minute, and so is each of uvicorn's own warnings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import re
import resource
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("excomm.classroom")

ACCEPTS = 16  # connections accepted in one round of the event loop (asyncio's `backlog`)
QUEUE = 1024  # connections the kernel holds until they are accepted: they take no file of ours
RESERVE = 128  # files for what is not a connection: rounds of accepts (about four), the
# event store, Temporal's client, the worker's pipes, the logs (about twenty at rest)
MOST_CONNECTIONS = 1000  # a class of a hundred, a few connections each, is well inside
SAY_EVERY_S = 60.0
# Raw answers for a connection no request of which can be answered through h11: refused
# before it sent anything, or too slow to send its request head.
_REFUSED = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
_TOO_SLOW = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


@dataclass(frozen=True)
class Limits:
    connections: int  # open at once, in all
    per_client: int  # open at once from one address
    request_s: float = 5.0  # to send a request's head and body
    keep_alive_s: int = 5  # a connection kept open for the next request
    head_bytes: int = 16 * 1024  # a request's line and headers
    body_bytes: int = 64 * 1024  # a request's body: a control is a few hundred bytes
    json_depth: int = 32  # a control's JSON is two or three levels deep


def limits_for(open_files: int) -> Limits:
    """The caps for a process that may open `open_files` files: each connection is one,
    and half of what `RESERVE` leaves goes to connections (a drill at 256 files saw
    asyncio run out with a quarter of its files free, when it accepted 64 at a time)."""
    connections = max(8, min(MOST_CONNECTIONS, (open_files - RESERVE) // 2))
    return Limits(connections=connections, per_client=max(4, connections // 4))


def open_files() -> int:
    """The process's open-files limit, its soft limit first raised to its hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):  # a hard limit above the kernel's own
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
    return 65536 if soft == resource.RLIM_INFINITY else soft


class Connection(Protocol):
    client_host: str

    def close_now(self) -> None: ...


class Gate:
    """Every open connection of the classroom by client address, oldest first, and those
    waiting for a request, longest waiting first."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._open: dict[str, dict[Connection, None]] = {}
        self._waiting: dict[str, dict[Connection, None]] = {}
        self.open = 0
        self.counts: Counter[str] = Counter()  # refused, closed waiting, closed busy, too slow
        self._unsaid: Counter[str] = Counter()
        self._said_at = -math.inf
        self._saying: asyncio.TimerHandle | None = None

    def admit(self, connection: Connection) -> bool:
        """Make room for a new connection, or False: refuse it."""
        host = connection.client_host
        held = len(self._open.get(host, ()))
        victim: Connection | None = None
        cause = "closed waiting"
        if held >= self.limits.per_client:
            victim = next(iter(self._waiting.get(host, ())), None)
        elif self.open >= self.limits.connections:
            # Room is taken from the addresses holding the most, never from one holding
            # fewer than the newcomer's would: a crowd on a few addresses closes its own
            # connections, however fast it comes back, and not the teacher's.
            most = sorted(self._open, key=lambda h: len(self._open[h]), reverse=True)
            for other in most:
                if len(self._open[other]) < held + 1:
                    break
                victim = next(iter(self._waiting.get(other, ())), None)
                if victim is not None:
                    break
            if victim is None and most[0] != host and len(self._open[most[0]]) >= 2 * (held + 1):
                # All busy (streams, mostly): the address holding twice what the
                # newcomer's would gives up its oldest.
                victim, cause = next(iter(self._open[most[0]])), "closed busy"
        else:
            self._enter(connection)
            return True
        if victim is None:
            self._count("refused")
            return False
        self._count(cause)
        self.leave(victim)
        victim.close_now()
        self._enter(connection)
        return True

    def _enter(self, connection: Connection) -> None:
        host = connection.client_host
        self._open.setdefault(host, {})[connection] = None
        self._waiting.setdefault(host, {})[connection] = None
        self.open += 1

    def busy(self, connection: Connection) -> None:
        """The connection's request has come: it is no longer one to close for room."""
        waiting = self._waiting.get(connection.client_host)
        if waiting is not None:
            waiting.pop(connection, None)

    def waiting(self, connection: Connection) -> None:
        """The connection waits for its next request (from now: the longest waiting go first)."""
        host = connection.client_host
        if connection in self._open.get(host, ()):
            waiting = self._waiting.setdefault(host, {})
            waiting.pop(connection, None)
            waiting[connection] = None

    def leave(self, connection: Connection) -> None:
        host = connection.client_host
        held = self._open.get(host)
        if held is None or connection not in held:
            return
        del held[connection]
        self.busy(connection)
        self.open -= 1
        if not held:
            del self._open[host]
            self._waiting.pop(host, None)

    def too_slow(self) -> None:
        self._count("too slow")

    def _count(self, what: str) -> None:
        self.counts[what] += 1
        self._unsaid[what] += 1
        if self._saying is None:
            delay = max(0.0, self._said_at + SAY_EVERY_S - time.monotonic())
            self._saying = asyncio.get_running_loop().call_later(delay, self._say)

    def _say(self) -> None:
        self._said_at, self._saying = time.monotonic(), None
        said = ", ".join(f"{n} {what}" for what, n in sorted(self._unsaid.items()))
        self._unsaid.clear()
        log.warning(
            f"classroom connections: {said} since the last report",
            open=self.open,
            limit=self.limits.connections,
            per_client=self.limits.per_client,
        )


class _OncePerMinute(logging.Filter):
    """Each message (by its first line) at most once a minute; the next says how many were
    left out. With `only`, messages that do not start with it pass untouched."""

    def __init__(self, only: str = "") -> None:
        super().__init__()
        self._only = only
        self._last: dict[str, tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = str(record.msg).split("\n", 1)[0]
        if not key.startswith(self._only):
            return True
        now = time.monotonic()
        last, left_out = self._last.get(key, (-math.inf, 0))
        if now - last < SAY_EVERY_S:
            self._last[key] = (last, left_out + 1)
            return False
        self._last[key] = (now, 0)
        if left_out:
            record.msg = f"{record.msg} (and {left_out} more in the minute before, not logged)"
        return True


def _quiet_logger() -> logging.Logger:
    """uvicorn's protocol logger (a warning per bad request), once a minute per message."""
    quiet = logging.getLogger("uvicorn.error.classroom")
    if not quiet.filters:
        quiet.addFilter(_OncePerMinute())
        # The classroom's uvicorn logs warnings and worse: set here, not inherited, since
        # uvicorn tests this logger's own level before it formats each trace line.
        quiet.setLevel(logging.WARNING)
    return quiet


def quiet_accept_errors() -> None:
    """asyncio's error when accept() finds no file left, once a minute: it is logged, with
    its traceback, for every accept left in the round, and again each second after. The
    caps keep the classroom from it; should anything else in the process use the files
    up, this keeps its log from a loop (which wrote 238 MB in 30 s)."""
    accepts = logging.getLogger("asyncio")
    if not any(isinstance(f, _OncePerMinute) for f in accepts.filters):
        accepts.addFilter(_OncePerMinute(only="socket.accept() out of system resource"))


def guarded_protocol(gate: Gate) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol, its connections admitted by `gate` and each request given
    `gate.limits.request_s` to arrive."""
    import h11
    from uvicorn.config import Config
    from uvicorn.protocols.http.h11_impl import H11Protocol
    from uvicorn.server import ServerState

    limits = gate.limits
    arriving = (h11.IDLE, h11.SEND_BODY)  # the client's states while its request is on its way

    class Guarded(H11Protocol):
        def __init__(
            self,
            config: Config,
            server_state: ServerState,
            app_state: dict[str, Any],
            _loop: asyncio.AbstractEventLoop | None = None,
        ) -> None:
            super().__init__(config, server_state, app_state, _loop)
            self.logger = _quiet_logger()
            self.client_host = ""
            self._admitted = False
            self._deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.client_host = self.client[0] if self.client else ""
            if not gate.admit(self):
                transport.write(_REFUSED)
                transport.close()
                return
            self._admitted = True
            self._start_deadline()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_deadline()
            gate.leave(self)
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if not self._admitted or self.transport.is_closing():
                return  # refused or closed: nothing it sends is read
            if self._deadline is None and self._between_requests():
                self._start_deadline()  # a kept-alive connection's next request begins
            super().data_received(data)
            if not self._between_requests():
                gate.busy(self)
            if self.conn.their_state not in arriving:
                self._stop_deadline()  # the whole request is here

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self._between_requests() and not self.transport.is_closing():
                gate.waiting(self)

        def close_now(self) -> None:
            """Closed for room: the gate has already let it go."""
            self._stop_deadline()
            self.transport.close()

        def _between_requests(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def _start_deadline(self) -> None:
            self._deadline = self.loop.call_later(limits.request_s, self._too_slow)

        def _stop_deadline(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if self.transport.is_closing():
                return
            gate.too_slow()
            if self._between_requests():
                self.transport.write(_TOO_SLOW)  # no request head yet: h11 has none to answer
            self.transport.close()  # a request whose body is late: the app hears it left

    return Guarded


class BodyLimit:
    """ASGI middleware: a request's body read whole before the app sees it, up to
    `limit` bytes; past that, 413 and the connection closed, the rest never read."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is None and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body
            return
        if declared is not None and int(declared) > self.limit:  # h11 let only digits through
            await self._refuse(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # gone (or too slow, and closed): there is nobody to answer
            body += message.get("body", b"")
            if len(body) > self.limit:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        given = False

        async def replay() -> Message:
            nonlocal given
            if not given:
                given = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()  # then whatever comes: a disconnect

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = JSONResponse(
            {"error": f"the request's body is larger than {self.limit} bytes"},
            status_code=413,
            headers={"Connection": "close"},  # uvicorn closes it: the rest is never read
        )
        await refusal(scope, receive, send)


class TooDeep(ValueError):
    pass


_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')  # strings skipped whole: a "[" in one is text


def parse_json(raw: bytes, depth: int) -> Any:
    """JSON, refused with TooDeep when nested deeper than `depth` before it is parsed:
    the standard library's parser recurses, and 100,000 brackets raised RecursionError."""
    level = 0
    for token in _TOKENS.finditer(raw.decode("utf-8", "replace")):
        bracket = token.group()
        if bracket in "[{":
            level += 1
            if level > depth:
                raise TooDeep(f"the request's JSON is nested deeper than {depth} levels")
        elif bracket in "]}":
            level -= 1
    return json.loads(raw)
