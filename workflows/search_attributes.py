"""Search attributes that let `temporal workflow list --query` find timelines."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

TIMELINE = SearchAttributeKey.for_keyword("ExcommTimeline")
TIMELINE_VERSION = SearchAttributeKey.for_int("ExcommTimelineVersion")

ALL = (TIMELINE, TIMELINE_VERSION)


def for_timeline(name: str, version: int) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [SearchAttributePair(TIMELINE, name), SearchAttributePair(TIMELINE_VERSION, version)]
    )
