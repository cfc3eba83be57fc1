"""The sides of the crisis, each with its own knowledge of what happened and when.

Washington and Moscow, and Havana, whose government decided and learned things of its
own (Castro's letters, the order to fire on low-flying aircraft, the refusal of
inspection) and learned of others' acts late or never (the settlement, from the radio).
"""

from __future__ import annotations

from typing import Literal

Side = Literal["washington", "moscow", "havana"]
SIDES: tuple[Side, ...] = ("washington", "moscow", "havana")
# Where an event says when a side learned of it, if that was not at once or by a channel.
LEARNED_FIELDS: dict[Side, str] = {
    "washington": "learned_at",
    "moscow": "moscow_learned_at",
    "havana": "havana_learned_at",
}
