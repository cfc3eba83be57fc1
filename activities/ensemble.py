"""The activity that simulates one batch of an ensemble's members, heartbeating as it goes."""

from __future__ import annotations

from temporalio import activity

from models.ensemble import Tally, member_seeds, run_batch
from models.run import EnsembleBatch

HEARTBEAT_EVERY = 50


@activity.defn(name="simulate_batch")
def simulate_batch(batch: EnsembleBatch) -> Tally:
    """Members of the batch, in chunks; a retried attempt resumes after the last heartbeat."""
    seeds = member_seeds(batch.seed, batch.start + batch.count)[batch.start :]
    done, total = 0, Tally()
    details = activity.info().heartbeat_details
    if details:
        done, total = int(details[0]), Tally.model_validate(details[1])
    while done < len(seeds):
        chunk = seeds[done : done + HEARTBEAT_EVERY]
        total += run_batch(batch.plan, chunk)
        done += len(chunk)
        activity.heartbeat(done, total.model_dump(mode="json"))
    return total
