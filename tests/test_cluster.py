"""Pointing excomm at a Temporal cluster through the SDK's environment configuration."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from models.events import event_to_json
from models.simulation import simulate
from service.runtime.embedded_server import installed_binary
from service.runtime.registration import register_search_attributes
from tests.postgres import fresh_database
from timelines.loader import load_timeline
from workflows import search_attributes

EXCOMM = str(Path(sys.executable).parent / "excomm")
FIXTURE = str(Path(__file__).parent / "fixtures" / "three-days.yaml")


async def test_a_configured_address_is_used_and_no_embedded_server_starts(
    dev_server: WorkflowEnvironment, tmp_path: Path
) -> None:
    address = dev_server.client.service_client.config.target_host
    home = tmp_path / "home"
    env = {**os.environ, "EXCOMM_HOME": str(home), "TEMPORAL_ADDRESS": address}
    done = subprocess.run(
        [EXCOMM, "replay", FIXTURE, "--id", "on-the-cluster"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert not (home / "temporal.sqlite3").exists()
    description = await dev_server.client.get_workflow_handle("on-the-cluster").describe()
    assert description.workflow_type == "Timeline"


async def test_search_attributes_are_registered_on_a_cluster_that_lacks_them() -> None:
    bare = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=installed_binary("temporal"),
        dev_server_log_level="error",
    )
    try:
        await register_search_attributes(bare.client)
        listed = await bare.client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=bare.client.namespace)
        )
        assert {key.name for key in search_attributes.ALL} <= set(listed.custom_attributes)
    finally:
        await bare.shutdown()


def _worker(cluster: dict[str, str], home: Path) -> subprocess.Popen[str]:
    """`excomm worker` on a machine of its own: its own home, the cluster and the shared store."""
    env = {**os.environ, **cluster, "EXCOMM_HOME": str(home)}
    process = subprocess.Popen(
        [EXCOMM, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    banner = process.stdout.readline()  # printed once it polls
    assert banner.startswith("Worker polling on"), banner
    password = cluster["EXCOMM_EVENT_STORE"].split(":")[2].split("@")[0]
    assert "event store: postgresql://excomm@" in banner and password not in banner
    return process


async def _identities(client: Client, workflow_id: str) -> set[str]:
    """The workers (pid@host) that ran a workflow's tasks and activities."""
    found = set()
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        for attributes in (
            event.workflow_task_started_event_attributes,
            event.activity_task_started_event_attributes,
        ):
            if attributes.identity:
                found.add(attributes.identity.split("@")[0])
    return found


async def test_two_workers_with_their_own_homes_share_one_store_and_a_third_home_sees_every_event(
    dev_server: WorkflowEnvironment, postgres_url: str, tmp_path: Path
) -> None:
    address = dev_server.client.service_client.config.target_host
    with fresh_database(postgres_url) as store:
        cluster = {
            "TEMPORAL_ADDRESS": address,
            "EXCOMM_EVENT_STORE": store,
            "EXCOMM_TASK_QUEUE": "two-machines",
        }
        analyst = {**os.environ, **cluster, "EXCOMM_HOME": str(tmp_path / "analyst")}

        def excomm(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([EXCOMM, *args], env=analyst, capture_output=True, text=True, timeout=120)

        migrated = excomm("store", "migrate")
        assert migrated.returncode == 0 and "upgraded from schema 0 to schema 2" in migrated.stdout
        workers = [_worker(cluster, tmp_path / name) for name in ("machine-a", "machine-b")]
        try:
            names = ["memo", "memo-1962", "hotline-1962", "u2-sam-strike", "october-1962", "memo-halved"]
            for name in names:
                started = excomm("start", name, "--id", f"on-{name}")
                assert started.returncode == 0, started.stderr
            ensemble = excomm(
                *("explore", "memo-uncertain", "--runtime", "temporal", "--workers", "0"),
                *("--runs", "2000", "--batch", "100", "--seed", "3", "--format", "json"),
            )
            assert ensemble.returncode == 0, ensemble.stderr
            for name in names:
                await dev_server.client.get_workflow_handle(f"on-{name}").result()
            assert json.loads(ensemble.stdout)["runs"] == 2000
            ensembles = [
                listed.id
                async for listed in dev_server.client.list_workflows(
                    "WorkflowType = 'Ensemble' AND TaskQueue = 'two-machines'"
                )
            ]
            assert len(ensembles) == 1
            ran = set()
            for workflow_id in [f"on-{n}" for n in names] + ensembles:
                ran |= await _identities(dev_server.client, workflow_id)
            assert {str(w.pid) for w in workers} <= ran  # the work was spread over both
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=30)
        # The analyst's own home holds no store: what it reads comes from the shared one.
        for name in names:
            shown = excomm("events", f"on-{name}", "--format", "jsonl")
            assert shown.returncode == 0, shown.stderr
            logged = [json.loads(line) for line in shown.stdout.splitlines()]
            assert logged == [json.loads(event_to_json(e)) for e in simulate(load_timeline(name))]
        compared = excomm("diff", "on-memo", "on-memo-halved")
        assert compared.returncode == 0 and "first divergence" in compared.stdout
        lineage = excomm("tree", "on-memo-1962")
        assert lineage.returncode == 0 and "on-memo-1962" in lineage.stdout
        assert not (tmp_path / "analyst" / "events.sqlite3").exists()
        assert not any((tmp_path / name / "events.sqlite3").exists() for name in ("machine-a", "machine-b"))


NEEDS_THE_STORE = [
    ("list",),
    ("events", "some-run"),
    ("state", "some-run"),
    ("tree", "some-run"),
    ("diff", "some-run", "other-run"),
    ("replay", FIXTURE),
    ("store", "migrate"),
    ("worker",),
    ("server", "--port", "1", "--ui-port", "2", "--no-classroom"),
]


@pytest.mark.parametrize("args", NEEDS_THE_STORE, ids=lambda args: args[0])
def test_a_store_that_is_down_is_one_line_without_its_password(args: tuple[str, ...], tmp_path: Path) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: nobody answers there
    port = closed.getsockname()[1]
    secret = "s3cret-hunter2"
    env = {
        **os.environ,
        "EXCOMM_HOME": str(tmp_path / "home"),
        "EXCOMM_EVENT_STORE": f"postgresql://excomm:{secret}@127.0.0.1:{port}/excomm",
    }
    with closed:
        done = subprocess.run([EXCOMM, *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert done.stderr == (
        f"excomm: error: the event store postgresql://excomm@127.0.0.1:{port}/excomm cannot be used: "
        f'connection failed: connection to server at "127.0.0.1", port {port} failed: Connection refused\n'
    )
    assert secret not in done.stdout + done.stderr
    assert not (tmp_path / "home" / "temporal.sqlite3").exists()  # no server was started
