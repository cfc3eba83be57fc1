"""`excomm export`: TimelineJS, iCalendar, CSV and the printed handout, checked against
their formats and against the timeline they tell."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from models.events import DomainEvent, StatementMade
from models.simulation import initial_state, simulate
from models.washington import to_washington, washington_date
from service.reading.exports import Telling, csv_table, handout, ics, timelinejs
from tests.processes import excomm
from timelines.loader import catalogue_names, load_timeline

# TimelineJS's JSON format, as https://timeline.knightlab.com/docs/json-format.html gives it:
# the keys each object may have, and those it must.
TL_TOP = {"events", "title", "eras", "scale"}
TL_SLIDE = {
    "start_date",
    "end_date",
    "text",
    "media",
    "group",
    "display_date",
    "background",
    "autolink",
    "unique_id",
}
TL_DATE = {"year", "month", "day", "hour", "minute", "second", "millisecond", "display_date", "format"}
TL_TEXT = {"headline", "text"}
TL_MEDIA = {"url", "caption", "credit", "thumbnail", "alt", "title", "link", "link_target"}
TL_RANGES = {"month": (1, 12), "day": (1, 31), "hour": (0, 23), "minute": (0, 59)}


def _check_date(date: dict[str, Any], where: str) -> None:
    assert set(date) <= TL_DATE, f"{where}: unknown keys {set(date) - TL_DATE}"
    assert isinstance(date["year"], int), f"{where}: year is required, a number"
    for key, (low, high) in TL_RANGES.items():
        if key in date:
            assert low <= date[key] <= high, f"{where}: {key} {date[key]}"


def _check_slide(slide: dict[str, Any], where: str, title: bool = False) -> None:
    assert set(slide) <= TL_SLIDE, f"{where}: unknown keys {set(slide) - TL_SLIDE}"
    if not title:
        _check_date(slide["start_date"], f"{where}.start_date")
    assert set(slide["text"]) <= TL_TEXT and slide["text"]["text"], f"{where}: text"
    if "media" in slide:
        assert set(slide["media"]) <= TL_MEDIA and slide["media"]["url"].startswith(("https://", "http://"))


def check_timelinejs(document: dict[str, Any]) -> None:
    assert set(document) <= TL_TOP
    assert isinstance(document["events"], list) and document["events"]
    if "title" in document:
        _check_slide(document["title"], "title", title=True)
    for number, slide in enumerate(document["events"]):
        _check_slide(slide, f"events[{number}]")
    for number, era in enumerate(document.get("eras", [])):
        _check_date(era["start_date"], f"eras[{number}].start_date")
        _check_date(era["end_date"], f"eras[{number}].end_date")
    ids = [slide["unique_id"] for slide in document["events"]]
    assert len(ids) == len(set(ids)), "unique_id must be unique"


def _telling(name: str) -> Telling:
    definition = load_timeline(name)
    return Telling(
        name, definition.title, definition.description, initial_state(definition), list(simulate(definition))
    )


@pytest.fixture(scope="module")
def record() -> Telling:
    return _telling("october-1962")


def _with_move(telling: Telling, actor: str, summary: str, medium: str, title: str | None = None) -> Telling:
    """The record with an analyst's move at its end, written as given (and a title, if given)."""
    move: DomainEvent = StatementMade(
        seq=len(telling.events) + 1,
        at=telling.events[-1].at,
        provenance="counterfactual",
        actor=actor,
        summary=summary,
        sources=("analyst move (counterfactual)",),
        medium=medium,
    )
    return Telling(
        telling.id, title or telling.title, telling.description, telling.initial, [*telling.events, move]
    )


def _with_markup(telling: Telling) -> Telling:
    """The record with an analyst's move whose summary and actor carry markup."""
    return _with_move(
        telling, "<b>analyst</b>", "<script>alert('x')</script> & more", "<img src=x onerror=alert(1)>"
    )


def test_timelinejs_follows_the_published_format_with_one_slide_per_event(record: Telling) -> None:
    document = timelinejs(record)
    check_timelinejs(document)
    slides = document["events"]
    assert len(slides) == len(record.events)
    first, event = slides[0], record.events[0]
    local = to_washington(event.at)
    assert (first["start_date"]["day"], first["start_date"]["hour"], first["start_date"]["minute"]) == (
        local.day,
        local.hour,
        local.minute,
    )
    assert first["start_date"]["display_date"].endswith("EDT")
    # Issue 24, #2: a source's web page as media was drawn as a broken image; it is a link.
    assert "media" not in first
    assert 'href="https://history.state.gov/historicaldocuments/frus1961-63v11/d16"' in first["text"]["text"]
    assert {slide["group"] for slide in slides} <= {"The record", "Derived"}
    assert "The record" in first["text"]["text"]


def test_timelinejs_of_the_memo_groups_the_plan_apart_and_shows_its_stages_as_eras() -> None:
    document = timelinejs(_telling("memo"))
    check_timelinejs(document)
    groups = {slide["group"] for slide in document["events"]}
    assert "The plan (proposed, not done)" in groups
    assert [era["text"]["headline"] for era in document["eras"]] == [
        "Setting the stage",
        "Consulting the allies",
        "Negotiating",
        "Escalating",
    ]


def test_timelinejs_escapes_what_users_wrote(record: Telling) -> None:
    slide = timelinejs(_with_markup(record))["events"][-1]
    assert "<script>" not in json.dumps(slide) and "&lt;script&gt;" in slide["text"]["text"]
    assert slide["text"]["headline"] == "&lt;b&gt;analyst&lt;/b&gt;"
    assert slide["group"] == "Counterfactual"


def test_ics_has_one_entry_per_historical_event_at_its_instant(record: Telling) -> None:
    calendar = Calendar.from_ical(ics(record))
    entries = calendar.walk("VEVENT")
    assert len(entries) == len(record.events)
    historical = [e for e in record.events if e.provenance == "historical"]
    marked = [entry for entry in entries if entry["categories"].to_ical() == b"HISTORICAL"]
    assert len(marked) == len(historical)
    by_uid = {str(entry["uid"]): entry for entry in entries}
    for event in historical:
        entry = by_uid[f"october-1962-{event.seq}@excomm"]
        assert entry.decoded("dtstart") == event.at, event.summary
        assert event.summary in str(entry["description"])
    assert len(by_uid) == len(entries)


def test_ics_on_an_anniversary_keeps_each_washington_date_and_hour(record: Telling) -> None:
    entries = Calendar.from_ical(ics(record, anniversary=2027)).walk("VEVENT")
    new_york = ZoneInfo("America/New_York")
    for entry, event in zip(entries, record.events, strict=True):
        then = to_washington(event.at)
        now = entry.decoded("dtstart").astimezone(new_york)
        # The crisis of 1962 in 2027; what followed in 1963 in 2028, after it (issue 24, #5).
        assert (now.year, now.month, now.day, now.hour, now.minute) == (
            2027 + then.year - 1962,
            then.month,
            then.day,
            then.hour,
            then.minute,
        )
    starts = [entry.decoded("dtstart") for entry in entries]
    assert starts == sorted(starts) and starts[-1].year == 2028  # in the order they happened
    # 28 Oct 1962 was already EST; in 2027 daylight time lasts to 7 Nov: the hour is kept, not the offset.
    on_29_oct = next(
        entry
        for entry, event in zip(entries, record.events, strict=True)
        if washington_date(event.at).day == 29
    )
    assert on_29_oct.decoded("dtstart").astimezone(new_york).utcoffset().total_seconds() == -4 * 3600


def test_csv_has_a_row_per_event_with_its_provenance_and_sources(record: Telling) -> None:
    rows = list(csv.DictReader(io.StringIO(csv_table(_with_markup(record)))))
    assert len(rows) == len(record.events) + 1
    assert rows[0]["washington_time"] == "07:37" and rows[0]["zone"] == "EDT"  # Kent 1972 (record v5)
    assert datetime.fromisoformat(rows[0]["at"]) == record.events[0].at
    assert rows[-1]["summary"] == "<script>alert('x')</script> & more"  # CSV is data: kept as written
    assert rows[-1]["provenance"] == "counterfactual"
    assert rows[0]["sources"].split("; ")[0] == "FRUS 1961-63 v11 d16"


def test_handout_has_one_page_per_day_with_its_state_and_escaped_text(record: Telling) -> None:
    page = handout(_with_markup(record))
    days = {washington_date(e.at) for e in record.events}
    assert page.count('<section class="day">') == len(days)
    assert "break-after: page" in page
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "&lt;b&gt;analyst&lt;/b&gt;" in page and "<b>analyst" not in page
    # The 28 October letter's text is quoted where it is cited.
    assert "FRUS 1961-63 v06 d68" in page or "v06 d68" in page
    assert re.search(r"<dt>DEFCON</dt><dd>SAC 2", page), "the state at the end of a day in DEFCON 2"


def test_export_command_writes_a_file_whole_and_refuses_bad_options(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "october.ics"
    done = excomm(
        "export", "october-1962", "--format", "ics", "--anniversary", "2027", "-o", str(target), home=home
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == f"excomm: wrote {target} (ics)"
    assert Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    for args, message in (
        (["--format", "pdf"], "invalid --format 'pdf': use timelinejs or ics or csv or html"),
        (["--format", "csv", "--anniversary", "2027"], "--anniversary applies to --format ics only"),
        (["--format", "ics", "--anniversary", "10"], "invalid --anniversary 10: between 1963 and 9999"),
        (
            ["-o", str(tmp_path / "missing" / "x.json")],
            f"cannot write --output {tmp_path / 'missing' / 'x.json'}",
        ),
    ):
        bad = excomm("export", "october-1962", *args, home=home)
        assert bad.returncode != 0 and bad.stdout == ""
        assert bad.stderr.count("\n") == 1 and message in bad.stderr, bad.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == ["october.ics"]


def test_export_to_standard_output_is_the_document_alone(home: Path) -> None:
    done = excomm("export", "october-1962", home=home)
    assert done.returncode == 0, done.stderr
    check_timelinejs(json.loads(done.stdout))
    assert done.stderr == ""


def test_csv_says_when_each_of_the_three_sides_learned_of_each_event() -> None:
    from service.reading.exports import csv_table
    from service.reading.views import telling

    rows = list(csv.DictReader(io.StringIO(csv_table(asyncio.run(telling("october-1962"))))))
    settlement = next(r for r in rows if r["type"] == "agreement_reached")
    # Broadcast by Radio Moscow at 09:00 EST on 28 Oct: Havana hears it then, from the radio,
    # and Washington at 09:04, when its monitors had it (a sourced instant).
    assert settlement["havana_learned_at"] == settlement["moscow_learned_at"] == settlement["at"]
    assert settlement["washington_learned_at"] == "1962-10-28T09:04:00-05:00"
    letter = next(r for r in rows if "a long, private letter" in r["summary"])
    # Khrushchev's private letter of 26 Oct: Moscow at once, Washington by its delivery,
    # Havana only when Kennedy's answer to it was published on the evening of the 27th.
    assert letter["moscow_learned_at"] == letter["at"]
    assert letter["at"] < letter["washington_learned_at"] < letter["havana_learned_at"]


def test_a_right_to_left_override_in_one_field_cannot_reverse_the_next(record: Telling) -> None:
    # Issue 24, #7: U+202E in a move's actor reversed the summary after it, in the page, the
    # handout and its print header. The controls are taken out; the letters stay.
    telling = _with_move(
        record,
        "\u202eanalyst \u05e9\u05dc\u05d5\u05dd",
        "Washington answers at once.\u2066",
        "radio",
        title="A title \u202e reversed",
    )
    page = handout(telling)
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", page)
    assert "analyst \u05e9\u05dc\u05d5\u05dd" in page and "Washington answers at once." in page


def test_html_already_made_safe_stays_html_without_its_controls() -> None:
    from markupsafe import Markup

    from service.reading.text import unbidi

    assert unbidi(Markup("<b>SAC\u202e 3</b>")) == Markup("<b>SAC 3</b>")
    assert isinstance(unbidi(Markup("<i>x</i>")), Markup) and unbidi(3) == 3


def test_pages_say_channels_and_what_was_needed_in_words_not_the_engines_names(record: Telling) -> None:
    # Issue 24, #11: "over rfk_dobrynin" and "(needs soviet_answers.cuba is not reject; ...)".
    from service.reading.text import plainly

    page = handout(record)
    assert "over rfk_dobrynin" not in page and "over scali_fomin" not in page
    assert (
        "over Robert Kennedy&#39;s channel to Dobrynin" in page
        or "over Robert Kennedy's channel to Dobrynin" in page
    )
    said = plainly(
        "Suppressed from the record (needs soviet_answers.cuba is not reject; not so as Moscow knew it): x"
    )
    assert said == (
        "Suppressed from the record (it depended on this: Moscow's answer on the cuba track is not reject; "
        "Moscow did not know it to be so): x"
    )


@pytest.mark.parametrize("name", catalogue_names())
def test_every_timelinejs_export_has_eras_that_end_after_they_start_and_no_web_page_as_media(
    name: str,
) -> None:
    # Issue 24, #1: TimelineJS refuses an era whose end equals its start ("All eras must have
    # start and end dates"), and every plan had one.
    document = timelinejs(_telling(name))
    check_timelinejs(document)
    for era in document.get("eras", []):
        start, end = (era[k] for k in ("start_date", "end_date"))
        keys = ("year", "month", "day", "hour", "minute")
        assert tuple(end.get(k, 0) for k in keys) > tuple(start.get(k, 0) for k in keys), era
    assert not [slide for slide in document["events"] if "media" in slide]


def test_the_anniversary_calendar_reads_the_same_in_a_second_parser(record: Telling) -> None:
    # Issue 24: read back by a parser that is not the one that wrote it (vobject, besides
    # icalendar): an entry per event, each on its anniversary, 1963's in the year after.
    import vobject

    calendar = vobject.readOne(ics(record, anniversary=2027))
    entries = calendar.contents["vevent"]
    assert len(entries) == len(record.events)
    starts = [entry.dtstart.value for entry in entries]
    assert starts == sorted(starts)
    years = {(to_washington(e.at).year, start.year) for e, start in zip(record.events, starts, strict=True)}
    assert years == {(1962, 2027), (1963, 2028)}
    first = to_washington(record.events[0].at)
    shown = starts[0].astimezone(ZoneInfo("America/New_York"))
    assert (shown.month, shown.day, shown.hour, shown.minute) == (
        first.month,
        first.day,
        first.hour,
        first.minute,
    )
