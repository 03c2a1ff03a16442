"""A dispatcher's hand edits of a plan, as pure operations on route sequences.

Routes here are ``{vehicle id: [stop id, ...]}`` in driving order; the caller re-simulates the
times afterwards. Positions are 1-based as the dispatcher sees them on the stop list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

ACTIONS = ("move", "lock", "unlock", "unassign")


class EditError(ValueError):
    """An edit that cannot be made; the message says why and what to do instead."""


@dataclass
class Draft:
    """The editable state of a plan: routes, locks (stop -> vehicle) and stops taken off by hand."""

    routes: dict[str, list[str]]
    locks: dict[str, str] = field(default_factory=dict)
    unassigned: list[str] = field(default_factory=list)  # taken off by the dispatcher, in order
    note: str = ""

    def vehicle_of(self, stop_id: str) -> str | None:
        for vehicle_id, stops in self.routes.items():
            if stop_id in stops:
                return vehicle_id
        return None

    def copy(self) -> "Draft":
        return Draft({v: list(s) for v, s in self.routes.items()}, dict(self.locks), list(self.unassigned), self.note)


def draft_from_plan(plan: Mapping, vehicle_ids: Sequence[str], locks: Mapping[str, str] | None = None,
                    unassigned: Sequence[str] = ()) -> Draft:
    """The draft of a stored plan (``scenarios.export.plan_to_dict`` layout)."""
    routes: dict[str, list[str]] = {v: [] for v in vehicle_ids}
    for r in plan.get("routes", []):
        routes[r["vehicle_id"]] = [s["stop_id"] for s in r["stops"]]
    return Draft(routes, dict(locks or {}), list(unassigned))


def apply_edit(draft: Draft, action: str, stop_id: str, *, vehicle_id: str | None = None,
               position: int | None = None, known_stops: Sequence[str] = ()) -> Draft:
    """Return a new draft with one edit made.

    * ``move``: put the stop on ``vehicle_id`` at ``position`` (default: last); a lock on the
      stop follows it to the new vehicle;
    * ``lock``: pin the stop to ``vehicle_id`` (default: the vehicle it is on); if that is another
      vehicle, the stop moves there first;
    * ``unlock``: let re-optimize move the stop again;
    * ``unassign``: take the stop off its route (and drop its lock).

    ``known_stops`` are all stop ids of the day, so an unserved stop can be moved onto a route.
    """
    if action not in ACTIONS:
        raise EditError(f"action '{action}' is unknown; use one of {', '.join(ACTIONS)}")
    out = draft.copy()
    current = out.vehicle_of(stop_id)
    if current is None and stop_id not in known_stops and stop_id not in out.unassigned:
        raise EditError(f"stop '{stop_id}' is not in this plan; reload the page to see the current plan")
    if vehicle_id is not None and vehicle_id not in out.routes:
        raise EditError(f"vehicle '{vehicle_id}' is not in the fleet; pick one of {', '.join(out.routes)}")
    if position is not None and position < 1:
        raise EditError("position: give a stop number of 1 or more")

    if action == "unlock":
        if stop_id not in out.locks:
            raise EditError(f"stop '{stop_id}' is not locked")
        del out.locks[stop_id]
        out.note = f"unlocked {stop_id}"
        return out
    if action == "unassign":
        if current is None:
            raise EditError(f"stop '{stop_id}' is not on any route")
        out.routes[current].remove(stop_id)
        out.locks.pop(stop_id, None)
        if stop_id not in out.unassigned:
            out.unassigned.append(stop_id)
        out.note = f"took {stop_id} off {current}"
        return out
    if action == "lock":
        target = vehicle_id or current
        if target is None:
            raise EditError(f"stop '{stop_id}' is on no route; choose the vehicle to lock it to")
        if target != current:
            _place(out, stop_id, current, target, None)
        out.locks[stop_id] = target
        out.note = f"locked {stop_id} to {target}"
        return out
    # move
    if vehicle_id is None:
        raise EditError("vehicle: choose the vehicle to move the stop to")
    _place(out, stop_id, current, vehicle_id, position)
    if stop_id in out.locks:
        out.locks[stop_id] = vehicle_id
    where = f"stop {position}" if position else "the end"
    out.note = f"moved {stop_id} to {vehicle_id}, {where}"
    return out


def refuse_missing_skills(draft: Draft, stop_id: str, stop_skills: Mapping[str, Sequence[str]],
                          vehicle_skills: Mapping[str, Sequence[str]]) -> None:
    """Raise :class:`EditError` when the edit left ``stop_id`` on (or locked to) a vehicle without
    a skill it needs, naming the skill and the vehicles that have it."""
    needed = set(stop_skills.get(stop_id, ()))
    vehicle = draft.vehicle_of(stop_id) or draft.locks.get(stop_id)
    if not needed or vehicle is None:
        return
    missing = sorted(needed - set(vehicle_skills.get(vehicle, ())))
    if missing:
        able = [v for v, skills in vehicle_skills.items() if needed <= set(skills)]
        fix = f"choose {', '.join(able)}" if able else "no vehicle of the fleet has it; give a vehicle type the skill"
        raise EditError(f"stop '{stop_id}' needs {', '.join(missing)}, which {vehicle} does not have; {fix}")


def _place(draft: Draft, stop_id: str, current: str | None, target: str, position: int | None) -> None:
    if current is not None:
        draft.routes[current].remove(stop_id)
    if stop_id in draft.unassigned:
        draft.unassigned.remove(stop_id)
    seq = draft.routes[target]
    index = len(seq) if position is None else min(position - 1, len(seq))
    seq.insert(index, stop_id)
