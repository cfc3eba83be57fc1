"""How large a move may be, and how long a timeline may go on taking moves.

A move is a stranger's bytes: anyone who can reach the server can signal a timeline. Its
arrival event is recorded by an activity, and Temporal refuses an activity's input over
2 MB: a 1.5 MB subject once failed the workflow task for ever, and 250 KB moves grew a
history to the server's 50 MB limit, which terminates the timeline. So admission refuses
a move past these bounds, and says which bound, without echoing what was sent.

The bounds are far above anything the record or a class writes (the longest summary in
the record is under 600 characters) and far below what Temporal refuses.
"""

from __future__ import annotations

from collections.abc import Mapping

MOVE_BYTES = 16_384  # the whole move, as JSON
TEXT_CHARS: Mapping[str, int] = {"summary": 2_000, "uncertainty": 2_000}
OTHER_TEXT_CHARS = 300  # any other text: an actor, a subject, a track, an instant, a source
LIST_ITEMS: Mapping[str, int] = {"sources": 20, "terms": 40}
OTHER_LIST_ITEMS = 40
DEPTH = 4  # a move is a flat object of texts and lists of texts
# A timeline whose history has grown past this takes no more moves (Temporal warns at
# 10 MB and terminates a workflow at 50 MB): a branch starts afresh.
HISTORY_BYTES = 8 * 1024 * 1024


class _TooLarge(Exception):
    pass


def _counted(value: object, depth: int, budget: int) -> int:
    """The size of `value` as JSON, roughly and from above; stops counting past `budget`."""
    if depth > DEPTH:
        raise _TooLarge("it is nested too deep for a move")
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass")) + 2
    if isinstance(value, Mapping):
        size = 2
        for key, item in value.items():
            size += _counted(str(key), depth + 1, budget) + _counted(item, depth + 1, budget) + 2
            if size > budget:
                return size
        return size
    if isinstance(value, list | tuple):
        size = 2
        for item in value:
            size += _counted(item, depth + 1, budget) + 1
            if size > budget:
                return size
        return size
    return len(str(value))


def oversize(payload: object) -> str | None:
    """Why a move's payload is too large to take (one line naming the field and its bound,
    never quoting it), or None."""
    if not isinstance(payload, Mapping):
        return None  # not a move at all: parsing says so
    for field, value in payload.items():
        name = str(field)[:40]
        if isinstance(value, str):
            bound = TEXT_CHARS.get(name, OTHER_TEXT_CHARS)
            if len(value) > bound:
                return f"{name}: at most {bound:,} characters (this one has {len(value):,})"
        elif isinstance(value, list | tuple):
            bound = LIST_ITEMS.get(name, OTHER_LIST_ITEMS)
            if len(value) > bound:
                return f"{name}: at most {bound:,} items (this one has {len(value):,})"
            for index, item in enumerate(value):
                if isinstance(item, str) and len(item) > OTHER_TEXT_CHARS:
                    bound, found = OTHER_TEXT_CHARS, len(item)
                    return f"{name}[{index}]: at most {bound:,} characters (this one has {found:,})"
    try:
        size = _counted(payload, 0, MOVE_BYTES)
    except _TooLarge as exc:
        return str(exc)
    if size > MOVE_BYTES:
        return f"the move is over {MOVE_BYTES:,} bytes, the most a move may be"
    return None


def history_full(history_bytes: int | None) -> str | None:
    """Why a timeline whose history has grown to `history_bytes` takes no more moves."""
    if history_bytes is None or history_bytes <= HISTORY_BYTES:
        return None
    return (
        f"the timeline's history has grown to {history_bytes / 1_048_576:.1f} MB, past the "
        f"{HISTORY_BYTES // 1_048_576} MB a timeline takes moves to: branch it to go on"
    )
