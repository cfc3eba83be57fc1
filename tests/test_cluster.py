"""Pointing excomm at a Temporal cluster through the SDK's environment configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from service.embedded_server import installed_binary
from service.registration import register_search_attributes
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
