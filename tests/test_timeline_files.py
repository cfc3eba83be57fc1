"""Timeline files are validated on load, and a mistake is reported at its file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from timelines.loader import UnknownTimeline, load_any, load_timeline, load_timeline_file
from timelines.safe_yaml import FileProblems

GOOD_EVENT = """\
  - type: meeting_held
    at: 1962-10-20T14:30-04:00
    actor: NSC
    forum: NSC
    summary: The council meets.
    sources: [JFK Library cmc/oct20/doc1]
"""
HEADER = """\
id: broken
version: 1
title: A broken timeline
description: For tests.
starts_at: 1962-10-14T00:00-04:00
events:
"""


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FileProblems) as caught:
        load_timeline_file(path, display="broken.yaml")
    return [str(p) for p in caught.value.problems]


def test_a_wrong_offset_around_the_change_of_zone_names_line_and_field(tmp_path: Path) -> None:
    text = HEADER + GOOD_EVENT + GOOD_EVENT.replace("1962-10-20T14:30-04:00", "1962-10-29T10:00-04:00")
    assert _problems(tmp_path, text) == [
        "broken.yaml:14:9: E-INVALID events[1].at: offset is not Washington time at that instant "
        "(expected EST, -05:00)"
    ]


def test_a_missing_field_is_reported_at_its_event(tmp_path: Path) -> None:
    text = HEADER + GOOD_EVENT.replace("    actor: NSC\n", "")
    assert _problems(tmp_path, text) == ["broken.yaml:7:5: E-MISSING-FIELD events[0].actor: Field required"]


def test_an_unknown_event_type_and_an_unknown_field(tmp_path: Path) -> None:
    text = (
        HEADER
        + GOOD_EVENT.replace("meeting_held", "meeting_hled")
        + GOOD_EVENT.replace("    forum: NSC\n", "    forum: NSC\n    mood: tense\n")
    )
    assert _problems(tmp_path, text) == [
        "broken.yaml:7:5: E-UNKNOWN-KIND events[0]: unknown event type 'meeting_hled'",
        "broken.yaml:17:5: E-UNKNOWN-FIELD events[1].mood: unknown field",
    ]


def test_a_wrong_type_is_reported_at_the_value(tmp_path: Path) -> None:
    text = HEADER.replace("version: 1", "version: first") + GOOD_EVENT
    assert _problems(tmp_path, text) == [
        "broken.yaml:2:10: E-WRONG-TYPE version: Input should be a valid integer, "
        "unable to parse string as an integer"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "broken.yaml:1:1: E-EMPTY file is empty"),
        # The reason after the place is libyaml's wording (or PyYAML's, where it lacks libyaml).
        ("id: [unclosed\n", "broken.yaml:2:1: E-YAML not valid YAML: "),
        ("!!python/object/apply:os.system [echo hi]\n", "broken.yaml:1:1: E-YAML tag"),
        ("a: &x [1]\nb: *x\n", "broken.yaml:1:4: E-YAML anchors and aliases are not supported"),
        ("id: a\nid: b\n", "broken.yaml:2:1: E-DUPLICATE-KEY key 'id' appears twice"),
        (
            "- just\n- a list\n",
            "broken.yaml:1:1: E-WRONG-TYPE a timeline or plan file is a mapping of fields",
        ),
    ],
)
def test_unsafe_or_malformed_yaml_is_one_line_and_nothing_runs(
    tmp_path: Path, text: str, expected: str
) -> None:
    (problem,) = _problems(tmp_path, text)
    assert problem.startswith(expected)


def test_binary_garbage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "garbage.yaml"
    path.write_bytes(b"\x00\xff\xfe garbage \x80")
    with pytest.raises(FileProblems, match="E-ENCODING"):
        load_timeline_file(path)


def test_seq_belongs_to_the_engine(tmp_path: Path) -> None:
    text = HEADER + GOOD_EVENT.replace("    actor: NSC\n", "    actor: NSC\n    seq: 4\n")
    assert _problems(tmp_path, text) == [
        "broken.yaml:10:5: E-INVALID events[0].seq: assigned by the engine, not the file"
    ]


def test_an_unknown_name_lists_the_catalogue() -> None:
    with pytest.raises(UnknownTimeline, match=r"unknown timeline 'october-1963' \(known: .*october-1962"):
        load_timeline("october-1963")


@pytest.mark.parametrize("name", ["a\x00.yaml", "/tmp/a\x00b", "x" * 300, "../" * 2000 + "plan"])
def test_a_name_no_file_can_have_is_refused_as_excomms_own_error(name: str) -> None:
    # From the API (a notebook), where a command line's limits do not apply.
    with pytest.raises((FileProblems, UnknownTimeline)):
        load_any(name)
