"""Record the histories the replay tests run against: `python -m tests.histories.record [NAME...]`.

Run it when a shipped timeline is added or gets a new version, or when the engine's rules
change (models.engine.RULES), never to paper over a replay failure: a stored history must
keep replaying against every later version of the workflow code. Before recording, keep the
histories it would overwrite under a name that says what they were (`NAME.v2-SCENARIO.json`
for an earlier version, `NAME.rules1-SCENARIO.json` for earlier rules): they go on replaying.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.stores import open_store
from models.pace import parse_pace
from models.run import TimelineResult
from service.runs.lifecycle import start_timeline
from service.runtime.embedded_server import installed_binary
from service.runtime.workers import build_worker
from timelines.loader import catalogue_names, load_timeline
from workflows.timeline import TimelineWorkflow

HERE = Path(__file__).resolve().parent
QUEUE = "record-histories"
Handle = WorkflowHandle[TimelineWorkflow, TimelineResult]


async def _instant(client: Client, name: str) -> Handle:
    return await start_timeline(
        client,
        load_timeline(name),
        parse_pace("instant"),
        f"{name}-instant",
        with_search_attributes=False,
        task_queue=QUEUE,
    )


async def _paused_and_stepped(client: Client, name: str) -> Handle:
    """A paced run started paused, stepped through two days, then resumed."""
    handle = await start_timeline(
        client,
        load_timeline(name),
        parse_pace("1d=10s"),
        f"{name}-stepped",
        start_paused=True,
        with_search_attributes=False,
        task_queue=QUEUE,
    )
    for _ in range(2):
        before = (await handle.query(TimelineWorkflow.progress)).clock
        await handle.signal(TimelineWorkflow.step_day)
        while (await handle.query(TimelineWorkflow.progress)).clock == before:
            await asyncio.sleep(0.05)
    await handle.signal(TimelineWorkflow.resume)
    return handle


async def _analyst_moves(client: Client, name: str) -> Handle:
    """Started paused; one move by update, one by signal, one refused; then resumed."""
    handle = await start_timeline(
        client,
        load_timeline(name),
        parse_pace("instant"),
        f"{name}-moves",
        start_paused=True,
        with_search_attributes=False,
        task_queue=QUEUE,
    )
    incident = {"kind": "incident", "incident": "ship_turned_back", "subject": "Kimovsk"}
    await handle.execute_update(TimelineWorkflow.submit_move, incident)
    await handle.signal(TimelineWorkflow.move, {**incident, "subject": "Yuri Gagarin"})
    await handle.signal(TimelineWorkflow.move, {"kind": "rumour"})
    while len((await handle.query(TimelineWorkflow.progress)).rejected_moves) < 1:
        await asyncio.sleep(0.05)
    await handle.signal(TimelineWorkflow.resume)
    return handle


SCENARIOS: dict[str, Callable[[Client, str], Awaitable[Handle]]] = {
    "instant": _instant,
    "stepped": _paused_and_stepped,
    "moves": _analyst_moves,
}


async def main(names: list[str]) -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=installed_binary("temporal-test-server"),
    )
    try:
        async with build_worker(env.client, open_store(HERE / ".scratch.sqlite3"), task_queue=QUEUE):
            for name in names or catalogue_names():
                # Every shipped timeline and plan runs at instant pace; the two that
                # educators and analysts steer most are also stepped and sent moves.
                steered = ("memo", "memo-1962", "october-1962")
                scenarios = SCENARIOS if name in steered else {"instant": _instant}
                for scenario, run in scenarios.items():
                    handle = await run(env.client, name)
                    await handle.result()
                    history = await handle.fetch_history()
                    path = HERE / f"{name}.{scenario}.json"
                    # The id goes with the history: the children's ids are derived from it.
                    stored = {"workflow_id": handle.id, "history": json.loads(history.to_json())}
                    path.write_text(json.dumps(stored, indent=1) + "\n")
                    print(f"wrote {path.relative_to(HERE.parent.parent)} ({len(history.events)} events)")
    finally:
        (HERE / ".scratch.sqlite3").unlink(missing_ok=True)
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))  # the timelines named, or every one in the catalogue
