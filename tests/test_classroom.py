"""The classroom in a real browser: the distribution's Chromium, driven by Playwright.

One `excomm classroom` process serves the module (it starts its home's Temporal server on
demand, as a teacher's would); each test opens fresh browser contexts: the teacher's,
with the key from the printed link, and students' without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from tests.processes import EXCOMM

CHROMIUM = "/usr/bin/chromium"
# Chromium on a machine with no network: no first-run, sync or component downloads.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = os.environ.get("EXCOMM_SCREENSHOTS")  # a folder: the README's pictures are taken there
# What a page waits for (an event, a clock, a fork's column) takes longer when the suite's
# other processes share the two cores: Playwright's 5 s was seen running out. Each wait
# still ends as soon as its condition holds.
expect.set_options(timeout=20_000)


@dataclass(frozen=True)
class Classroom:
    teacher_url: str
    student_url: str
    home: Path

    @property
    def base(self) -> str:
        return self.student_url.rstrip("/")


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Classroom]:
    home = tmp_path_factory.mktemp("classroom") / "home"
    log = home.parent / "classroom.log"
    # Its log goes to a file: a pipe nobody reads would stop the classroom once full.
    with log.open("w") as errors:
        process = subprocess.Popen(
            [EXCOMM, "classroom", "--port", "0"],
            env={**os.environ, "EXCOMM_HOME": str(home)},
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    assert process.stdout is not None
    teacher_line = process.stdout.readline()  # blocks until the classroom is up
    student_line = process.stdout.readline()
    teacher = re.search(r"(http://\S+\?key=\S+)", teacher_line)
    student = re.search(r"(http://\S+/)", student_line)
    if teacher is None or student is None:
        process.kill()
        raise AssertionError(f"the classroom did not start: {teacher_line!r} {log.read_text()!r}")
    try:
        yield Classroom(teacher[1], student[1], home)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def contexts(browser: Browser) -> AsyncIterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        await context.close()


async def _open(browser: Browser, contexts: list[BrowserContext], url: str) -> Page:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    contexts.append(context)
    page = await context.new_page()
    await page.goto(url)
    return page


async def _start(teacher: Page, timeline: str = "october-1962") -> str:
    await teacher.select_option("#timeline-choice", timeline)
    await teacher.click("#start")
    await teacher.wait_for_url(re.compile(r"/runs/"))
    await expect(teacher.locator("#status")).to_contain_text("paused")
    return teacher.url.rsplit("/", 1)[1]


async def _lesson(
    classroom: Classroom, browser: Browser, contexts: list[BrowserContext]
) -> tuple[Page, Page, str]:
    """A teacher who has started the record, and a student whose page followed the lesson."""
    teacher = await _open(browser, contexts, classroom.teacher_url)
    run_id = await _start(teacher)
    student = await _open(browser, contexts, classroom.student_url)
    await student.wait_for_url(re.compile(f"/runs/{re.escape(run_id)}$"))  # the lesson, followed
    return teacher, student, run_id


async def _step(teacher: Page, to_day: str) -> None:
    """Step a day (the space bar) and wait for the clock to stand at midnight of `to_day`."""
    await teacher.keyboard.press(" ")
    await expect(teacher.locator("#clock")).to_contain_text(f"{to_day} 1962, 00:00")


def _post(url: str, data: dict[str, Any], cookie: str | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, data=json.dumps(data).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    if cookie is not None:
        request.add_header("Cookie", cookie)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


async def test_a_teacher_steps_two_days_and_a_student_sees_them_arrive_without_reloading(
    classroom: Classroom, browser: Browser, contexts: list[BrowserContext]
) -> None:
    teacher, student, run_id = await _lesson(classroom, browser, contexts)
    await expect(student.locator("#clock")).to_contain_text("14 October 1962")
    await student.evaluate("window.notReloaded = true")
    qr = teacher.locator("img.qr")
    await expect(qr).to_be_visible()
    assert await qr.evaluate("image => image.complete && image.naturalWidth > 0"), "the QR code is not drawn"
    assert await student.locator(".controls").is_hidden()

    await _step(teacher, "Monday 15 October")
    events = student.locator(f'ol[data-events="{run_id}"] li.event')
    await expect(events.first).to_contain_text("928 photographs")
    await _step(teacher, "Tuesday 16 October")
    await expect(student.locator("#clock")).to_contain_text("Tuesday 16 October 1962, 00:00 EDT")
    await expect(student.locator(f'ol[data-events="{run_id}"] li.day')).to_have_text(
        ["Sunday 14 October 1962", "Monday 15 October 1962"]
    )
    await expect(events.filter(has_text="NPIC")).to_have_count(1)
    assert await student.evaluate("window.notReloaded") is True
    badges = await student.locator(f'ol[data-events="{run_id}"] .badge').all_inner_texts()
    assert set(badges) == {"RECORD"}, badges  # the record, marked as such, nothing else
    if SCREENSHOTS:
        await student.screenshot(path=f"{SCREENSHOTS}/classroom-student.png")


async def test_a_second_step_sent_while_the_first_day_is_still_running_adds_a_day(
    classroom: Classroom, browser: Browser, contexts: list[BrowserContext]
) -> None:
    # A teacher pressing the space bar twice: the second step arrives while the first day
    # is being run and recorded, when the run is not held, and was refused as "running".
    teacher = await _open(browser, contexts, classroom.teacher_url)
    run_id = await _start(teacher)
    cookie = f"excomm_teacher={classroom.teacher_url.rsplit('key=', 1)[1]}"
    control = f"{classroom.base}/api/runs/{run_id}/control"
    first = await asyncio.to_thread(_post, control, {"action": "step_day"}, cookie)
    second = await asyncio.to_thread(_post, control, {"action": "step_day"}, cookie)
    assert (first, second) == ((200, {"said": "Stepping a day."}),) * 2
    await expect(teacher.locator("#clock")).to_contain_text("Tuesday 16 October 1962, 00:00")
    await expect(teacher.locator("#status")).to_contain_text("paused")


async def test_a_control_request_without_the_teachers_key_is_refused_and_changes_nothing(
    classroom: Classroom, browser: Browser, contexts: list[BrowserContext]
) -> None:
    teacher, student, run_id = await _lesson(classroom, browser, contexts)
    refused = await student.evaluate(
        """async (run) => {
            const answers = [];
            for (const action of ["step_day", "resume", "cancel"]) {
                const response = await fetch(`/api/runs/${run}/control`, {
                    method: "POST", headers: {"Content-Type": "application/json"},
                    body: JSON.stringify({action})});
                answers.push([response.status, (await response.json()).error]);
            }
            const fork = await fetch(`/api/runs/${run}/fork`, {method: "POST",
                headers: {"Content-Type": "application/json"},
                body: JSON.stringify({kind: "incident", fields: {incident: "ship_boarded", subject: "x"}})});
            answers.push([fork.status, (await fork.json()).error]);
            return answers;
        }""",
        run_id,
    )
    assert refused == [[403, "only the teacher controls the class"]] * 4
    # A wrong key is no key; and a key without JSON is refused too (no cross-site form posts).
    assert (
        _post(f"{classroom.base}/api/runs/{run_id}/control", {"action": "step_day"}, "excomm_teacher=guess")[
            0
        ]
        == 403
    )
    # Had any refused step been taken, the teacher's one step would land a day later.
    await _step(teacher, "Monday 15 October")
    await expect(student.locator("#clock")).to_contain_text("Monday 15 October 1962, 00:00")
    await expect(student.locator("#status")).to_contain_text("paused")
    # Cancelled by the teacher (who confirms), the run says so to the class, not "paused".
    teacher.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await teacher.click("#cancel")
    await expect(student.locator("#status")).to_contain_text("cancelled")
    # Issue 24, #12: after Cancel the buttons stayed live.
    for button in ("#step", "#resume", "#pause", "#cancel"):
        await expect(teacher.locator(button)).to_be_disabled()


async def test_the_source_viewer_opens_the_full_text_of_khrushchevs_letter_of_26_october(
    classroom: Classroom, browser: Browser, contexts: list[BrowserContext]
) -> None:
    teacher = await _open(browser, contexts, classroom.teacher_url)
    run_id = await _start(teacher)
    for day in ("Monday 15", "Tuesday 16", "Wednesday 17", "Thursday 18", "Friday 19", "Saturday 20"):
        await _step(teacher, f"{day} October")
    for day in ("Sunday 21", "Monday 22", "Tuesday 23"):
        await _step(teacher, f"{day} October")
    # What the day changed is highlighted: SAC went to DEFCON 3 on 22 October.
    changed = teacher.locator(f'[data-state="{run_id}"] .item.changed[data-field="defcon"]')
    await expect(changed).to_contain_text("SAC 3")
    await expect(changed.locator(".was")).to_contain_text("SAC 5")
    for day in ("Wednesday 24", "Thursday 25", "Friday 26", "Saturday 27"):
        await _step(teacher, f"{day} October")
    # As Washington knew it, the letter comes when its full text reached the White House.
    letter = teacher.locator(f'ol[data-events="{run_id}"] li.event').filter(has_text="a long, private letter")
    await expect(letter.locator(".hour")).to_have_text("09:43 EDT")
    await teacher.click("button.view[data-view=washington]")
    await expect(letter.locator(".hour")).to_have_text("21:15 EDT")
    await expect(letter.locator(".meta").first).to_contain_text("It happened 26 Oct 09:43")
    # Havana never saw the private letter: it learned of it only when Kennedy's answer was
    # published, at 20:05 on the 27th, and the class is not there yet.
    await teacher.click("button.view[data-view=havana]")
    await expect(teacher.locator("button.view[data-view=havana]")).to_have_text("As Havana knew it")
    await expect(letter).to_have_count(0)
    await teacher.click("button.view[data-view=happened]")
    link = teacher.locator(f'ol[data-events="{run_id}"] a.source[data-citation="FRUS 1961-63 v06 d65"]').first
    await link.click()
    viewer = teacher.locator("#source-viewer")
    await expect(viewer).to_be_visible()
    await expect(viewer.locator("h2")).to_contain_text("FRUS 1961-63 v06 d65")
    await expect(viewer.locator(".source-text")).to_contain_text("Dear Mr. President")
    if SCREENSHOTS:
        await teacher.screenshot(path=f"{SCREENSHOTS}/classroom-source.png")
        await viewer.locator("button.close").click()
        await teacher.screenshot(path=f"{SCREENSHOTS}/classroom-teacher.png")


async def test_a_what_if_fork_is_followed_by_both_and_what_the_analyst_wrote_is_shown_escaped(
    classroom: Classroom, browser: Browser, contexts: list[BrowserContext]
) -> None:
    teacher, student, run_id = await _lesson(classroom, browser, contexts)
    await _step(teacher, "Monday 15 October")
    await _step(teacher, "Tuesday 16 October")

    form = teacher.locator("#fork-form")
    await form.locator("select[name=kind]").select_option("incident")
    # A move the rules refuse is said on the page, and nothing is forked.
    await form.locator("input[name=fields]").fill('{"incident": "ship_sunk", "subject": "x"}')
    await teacher.click("#fork")
    await expect(teacher.locator("#fork-error")).to_contain_text("incident")
    assert teacher.url.endswith(f"/runs/{run_id}")

    # With a word of 400 letters and no space (issue 24, #3), which must not widen the page.
    hostile = "<script>window.pwned = true</script><img src=x onerror='window.pwned = true'> " + "w" * 400
    await form.locator("input[name=fields]").fill(
        json.dumps({"incident": "aircraft_shot_down", "subject": "U-2"})
    )
    await form.locator("input[name=summary]").fill(hostile)
    await teacher.click("#fork")
    await teacher.wait_for_url(re.compile(f"/pair/{re.escape(run_id)}/"))
    branch_id = teacher.url.rsplit("/", 1)[1]
    await student.wait_for_url(re.compile(f"/pair/{re.escape(run_id)}/{re.escape(branch_id)}$"))
    for page in (teacher, student):
        branch = page.locator(f'ol[data-events="{branch_id}"]')
        await expect(branch.locator("li.departs")).to_have_count(1)
        await expect(branch.locator("li.kind-counterfactual").first).to_contain_text(
            "A counterfactual move is taken in"
        )
        shown = branch.locator("li.kind-counterfactual").filter(has_text="window.pwned")
        await expect(shown).to_contain_text(hostile)  # as text, every character of it
        await expect(shown.locator(".badge-counterfactual")).to_have_text("COUNTERFACTUAL")
        assert await branch.locator("script, img").count() == 0
        assert await page.evaluate("window.pwned === undefined")
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        # Both columns stand on the same day, and the parent never shows the branch's move.
        await expect(page.locator(f'ol[data-events="{run_id}"] li.kind-counterfactual')).to_have_count(0)
    # One step moves both runs on a day, and the teacher is told so once, not once a run.
    await _step(teacher, "Wednesday 17 October")
    await expect(teacher.locator("#said")).to_have_text("Stepping a day.")
    for run in (run_id, branch_id):
        await expect(student.locator(f'ol[data-events="{run}"] li.day').last).to_have_text(
            "Tuesday 16 October 1962"
        )
    if SCREENSHOTS:
        await teacher.locator(f'ol[data-events="{branch_id}"] li.departs').scroll_into_view_if_needed()
        await teacher.screenshot(path=f"{SCREENSHOTS}/classroom-what-if.png")


def test_a_sources_date_is_written_as_a_reader_writes_it_and_json_in_any_case_is_json(
    classroom: Classroom,
) -> None:
    # Issue 24, #12: "Dated 1962-10-26T19:00:00" (raw, no zone), and Application/JSON refused.
    with urllib.request.urlopen(f"{classroom.base}/source?c=FRUS%201961-63%20v06%20d65", timeout=30) as page:
        assert "Dated 26 October 1962, 19:00 local time" in page.read().decode()
    key = classroom.teacher_url.split("key=", 1)[1]
    request = urllib.request.Request(
        f"{classroom.base}/api/start",
        data=json.dumps({"timeline": "no-such-timeline"}).encode(),
        method="POST",
        headers={"Content-Type": "Application/JSON; charset=UTF-8", "Cookie": f"excomm_teacher={key}"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 400  # read as JSON, and refused for what it asks, not its case
    assert "unknown timeline" in json.loads(refused.value.read())["error"]


def test_pages_and_feeds_for_students_are_read_only_and_exports_download(classroom: Classroom) -> None:
    with urllib.request.urlopen(f"{classroom.base}/source?c=FRUS%201961-63%20v11%20d89", timeout=30) as page:
        text = page.read().decode()
    assert "Planning Subcommittee" in text and "teacher" not in text.split("<main>")[1].lower()
    status, answer = _post(f"{classroom.base}/api/start", {"timeline": "october-1962"})
    assert (status, answer) == (403, {"error": "only the teacher controls the class"})
    with urllib.request.urlopen(f"{classroom.base}/qr.svg", timeout=30) as qr:
        assert qr.headers["Content-Type"].startswith("image/svg+xml")
        assert b'<svg xmlns="http://www.w3.org/2000/svg"' in qr.read()  # an <img> draws nothing without it
    with urllib.request.urlopen(f"{classroom.base}/runs/october-1962/export/ics", timeout=30) as calendar:
        assert calendar.read().startswith(b"BEGIN:VCALENDAR")


async def test_a_nudge_wakes_the_follower_and_never_leaves_pages_woken(tmp_path: Path) -> None:
    # Pages wait on `changed`; a control's nudge once set it for good, and every page's
    # stream then spun at full CPU (found by bench/classroom.py: 5 s a day for 50 students).
    from typing import cast

    from activities.stores import open_store
    from service.classroom.feed import Feeds, _Follower

    feeds = Feeds(cast(Any, None), open_store(tmp_path / "events.sqlite3"))
    follower = _Follower()
    feeds._followers["lesson"] = follower
    feeds.nudge("lesson")
    assert follower.wake.is_set() and not follower.changed.is_set()


class _Server:
    """A Temporal server as a classroom's feeds see it: the runs it has, and how often
    each id was asked about."""

    def __init__(self, *runs: str) -> None:
        self.runs = set(runs)
        self.asked: dict[str, int] = {}

    def get_workflow_handle_for(self, _: object, run_id: str) -> _Handle:
        return _Handle(self, run_id)


class _Handle:
    def __init__(self, server: _Server, run_id: str) -> None:
        self.server, self.run_id = server, run_id

    async def describe(self, rpc_timeout: object = None) -> object:
        from types import SimpleNamespace

        from temporalio.client import WorkflowExecutionStatus
        from temporalio.service import RPCError, RPCStatusCode

        self.server.asked[self.run_id] = self.server.asked.get(self.run_id, 0) + 1
        if self.run_id not in self.server.runs:
            raise RPCError("workflow not found", RPCStatusCode.NOT_FOUND, b"")
        return SimpleNamespace(status=WorkflowExecutionStatus.RUNNING)

    async def query(self, query: Any, *args: object, rpc_timeout: object = None) -> object:
        from datetime import datetime

        from models.run import Progress
        from models.state import WorldState
        from models.timeline import InitialWorld

        if query.__name__ == "progress":
            at = datetime.fromisoformat("1962-10-14T00:00:00-04:00")
            return Progress(
                timeline="memo", version=1, pace="1d=20s", clock=at, paused=True, last_seq=0, finished=False
            )
        return WorldState.initial(InitialWorld()) if query.__name__ == "initial_state" else []


async def _until(condition: Any, seconds: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"not within {seconds} s: {what}"
        await asyncio.sleep(0.05)


async def test_a_run_nobody_has_is_read_once_and_never_followed(tmp_path: Path) -> None:
    # A thousand made-up ids each kept a follower asking Temporal five times a second for
    # 30 s: the teacher's requests went from 0.2 s to 5 s.
    from typing import cast

    from activities.stores import open_store
    from service.classroom.feed import Feeds

    server = _Server()
    feeds = Feeds(cast(Any, server), open_store(tmp_path / "events.sqlite3"))
    found = await asyncio.gather(*(feeds.snapshot("nosuch-1-a") for _ in range(20)))
    assert all(s.missing and s.problem for s in found)
    assert feeds.following == [] and server.asked == {"nosuch-1-a": 1}  # twenty pages, one read
    await feeds.close()


async def test_a_follower_stops_seconds_after_its_last_page_leaves(tmp_path: Path) -> None:
    # It went on asking five times a second for 30 s.
    from typing import cast

    from activities.stores import open_store
    from service.classroom.feed import Feeds

    server = _Server("lesson")
    feeds = Feeds(cast(Any, server), open_store(tmp_path / "events.sqlite3"))
    assert not (await feeds.snapshot("lesson")).missing
    async with feeds.listening("lesson") as follower, feeds.listening("lesson"):
        await _until(lambda: server.asked["lesson"] >= 5, 10, "the follower asks again and again")
        assert follower.snapshot is not None and follower.snapshot.status == "running"
        assert feeds.following == ["lesson"]
    left = asyncio.get_running_loop().time()
    await _until(lambda: not feeds.following, 3.5, "the follower stops")  # IDLE_S is 1.5
    assert asyncio.get_running_loop().time() - left < 3.5
    asked = server.asked["lesson"]
    assert (await feeds.snapshot("lesson")).status == "running"  # read afresh, once
    assert server.asked["lesson"] == asked + 1 and not feeds.following
    await feeds.close()


def test_a_taken_port_is_one_line_before_any_server_starts(tmp_path: Path) -> None:
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        home = tmp_path / "home"
        refused = subprocess.run(
            [EXCOMM, "classroom", "--port", str(port)],
            env={**os.environ, "EXCOMM_HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert refused.returncode == 1 and refused.stdout == ""
    assert (
        refused.stderr
        == f"excomm: error: the classroom cannot listen on 127.0.0.1:{port}: address already in use\n"
    )
    assert not home.exists()  # refused before anything was written


async def test_no_get_moves_the_class_and_the_teacher_takes_it_only_to_real_runs(
    classroom: Classroom, browser: Browser, contexts: list[BrowserContext]
) -> None:
    # Issue 24, #8: a teacher's GET of /runs/X or /pair/A/B used to set the lesson, so an
    # <img src=/pair/RUN/RUN> on any local page moved every student.
    _, student, run_id = await _lesson(classroom, browser, contexts)
    key = classroom.teacher_url.split("key=", 1)[1]
    cookie = f"excomm_teacher={key}"
    base = classroom.student_url.rstrip("/")
    for path in (f"/pair/{run_id}/{run_id}", "/pair/nope-a/nope-b"):
        request = urllib.request.Request(base + path, headers={"Cookie": cookie})
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(request, timeout=30).close()
    with urllib.request.urlopen(base + "/", timeout=30) as followed:  # where students are sent
        assert followed.url.endswith(f"/runs/{run_id}")
    # The teacher's page takes the class by a POST with the key; a pair of a run with itself
    # or of made-up runs is refused, and without the key nothing is taken.
    assert _post(base + "/api/lesson", {"path": f"/pair/{run_id}/{run_id}"}, cookie)[0] == 400
    assert _post(base + "/api/lesson", {"path": "/pair/nope-a/nope-b"}, cookie)[0] == 404
    assert _post(base + "/api/lesson", {"path": f"/runs/{run_id}"})[0] == 403
    assert _post(base + "/api/lesson", {"path": f"/runs/{run_id}"}, cookie) == (
        200,
        {"path": f"/runs/{run_id}"},
    )
    await expect(student).to_have_url(re.compile(f"/runs/{re.escape(run_id)}$"))


async def test_on_a_phone_the_bar_does_not_hold_a_quarter_of_the_screen(
    classroom: Classroom, browser: Browser, contexts: list[BrowserContext]
) -> None:
    # Issue 24, #12: on a phone the sticky bar took a quarter of the screen, for good.
    _, _, run_id = await _lesson(classroom, browser, contexts)
    phone = await browser.new_context(viewport={"width": 390, "height": 844})
    contexts.append(phone)
    page = await phone.new_page()
    await page.goto(f"{classroom.base}/runs/{run_id}")
    await expect(page.locator("#clock")).to_contain_text("1962")
    await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    covered = await page.evaluate(
        "(() => { const r = document.querySelector('.bar').getBoundingClientRect();"
        " return Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0)) / innerHeight; })()"
    )
    assert covered < 0.1, covered
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
