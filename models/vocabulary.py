"""The words a move or a plan may use: tracks, allies, terms and rungs of escalation.

A plan brings its own (its tracks, its allies, the terms of its proposals and allied
interests, its ladder); on top of those stand the words of the memo and of the record of
1962, so that a move on a timeline with no plan (the record) is checked as well. A word
outside them is a misspelling until a plan defines it.
"""

from __future__ import annotations

import difflib

from models.plan import PlanDefinition, walk
from models.steps import ConsultStep

# The memo's tracks (FRUS 1961-63 v11 d89, paragraph 6) and the level of talks (paragraph 4).
TRACKS = frozenset(
    {"cuba", "non-diffusion", "mrbm-declarations", "safeguards", "test-ban", "berlin", "germany", "summitry"}
)
LEVEL = "level"  # a soviet_reply on the level of talks rather than on a track
ALLIES = frozenset(
    {"North Atlantic Council", "Turkey", "Italy", "Greece", "United Kingdom", "France", "West Germany"}
)
# What the messages of 1962 and the memo's proposals offer or ask.
TERMS = frozenset(
    {
        "alert_lowered",
        "berlin_solution_c",
        "demarcation_line_non_use_of_force",
        "direct_communication_link",
        "il28_withdrawn",
        "inter_german_mixed_commissions",
        "jupiters_withdrawal_private",
        "jupiters_withdrawn_from_italy",
        "jupiters_withdrawn_from_turkey",
        "limited_test_ban",
        "missiles_removed",
        "missiles_removed_under_un_verification",
        "new_test_ban_directive",
        "no_additional_demands",
        "no_arms_shipments_to_cuba",
        "no_invasion_pledge",
        "no_land_based_mrbm_procurement",
        "non_diffusion_declarations",
        "observation_teams",
        "offensive_weapons_removed",
        "offensive_weapons_removed_under_un_verification",
        "overflights_stopped",
        "quadripartite_summit",
        "quarantine_ended",
        "quarantine_lifted",
        "quarantine_rejected",
        "ships_observe_quarantine",
        "test_ban_three_environments",
    }
)
# The memo's ladder (1b, 2b) and the military actions its variants take.
RUNGS = frozenset({"tightened_quarantine", "pol_embargo", "air_strike", "invasion", "sam_site_strike"})


def tracks(plan: PlanDefinition | None) -> frozenset[str]:
    """The tracks a soviet_reply may name: the plan's own, or the memo's on a plan-less timeline."""
    return frozenset({t.id for t in plan.tracks} if plan is not None else TRACKS) | {LEVEL}


def allies(plan: PlanDefinition | None) -> frozenset[str]:
    if plan is None:
        return ALLIES
    return frozenset(s.ally for s in walk(plan.steps) if isinstance(s, ConsultStep))


def terms(plan: PlanDefinition | None) -> frozenset[str]:
    if plan is None:
        return TERMS
    proposed = {term for track in plan.tracks for term in track.proposal}
    return TERMS | proposed | set(plan.allied_interests)


def rungs(plan: PlanDefinition) -> frozenset[str]:
    """The rungs an `end` in military action may name: the plan's ladder and the memo's."""
    return RUNGS | {r.rung for r in plan.ladder}


def near(word: str, known: frozenset[str]) -> str:
    """The closest known words, or all of them, for a one-line error."""
    close = difflib.get_close_matches(word, sorted(known), n=3, cutoff=0.6)
    return f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(sorted(known))}"
