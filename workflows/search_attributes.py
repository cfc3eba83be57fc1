"""Search attributes that let `temporal workflow list --query` find timelines and branches."""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

TIMELINE = SearchAttributeKey.for_keyword("ExcommTimeline")
TIMELINE_VERSION = SearchAttributeKey.for_int("ExcommTimelineVersion")
PARENT = SearchAttributeKey.for_keyword("ExcommParent")
ROOT = SearchAttributeKey.for_keyword("ExcommRoot")

ALL = (TIMELINE, TIMELINE_VERSION, PARENT, ROOT)


def for_timeline(
    name: str, version: int, timeline_id: str, parent: str | None, root: str | None
) -> TypedSearchAttributes:
    """`ExcommRoot = 'X'` finds X and every branch forked from it, however deep."""
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(TIMELINE, name),
        SearchAttributePair(TIMELINE_VERSION, version),
        SearchAttributePair(ROOT, root or timeline_id),
    ]
    if parent is not None:
        pairs.append(SearchAttributePair(PARENT, parent))
    return TypedSearchAttributes(pairs)
