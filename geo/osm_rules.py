"""OpenStreetMap tag rules: which ways carry cars or walkers, in which direction, how fast.

Pure functions over a way's tag dict (``{"highway": "residential", "oneway": "yes", ...}``).
Speeds are in km/h here and converted to metres per second where used.

Default speeds per road class (km/h), used where a way has no numeric ``maxspeed``. They are
realistic *urban average* speeds (junctions, lights and traffic included), below the legal limit:

============================  =====
highway                       km/h
============================  =====
motorway                      80
motorway_link                 45
trunk                         65
trunk_link                    40
primary                       45
primary_link                  30
secondary                     40
secondary_link                30
tertiary                      35
tertiary_link                 25
unclassified                  30
road                          30
residential                   25
living_street                 10
service                       15
============================  =====

A tagged numeric ``maxspeed`` (e.g. ``"50"``, ``"30 mph"``) is used as 85 % of its value, capped
below by 5 km/h, since vans rarely hold the limit in town.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

Tags = Mapping[str, str]

DEFAULT_SPEED_KMH: dict[str, float] = {
    "motorway": 80.0,
    "motorway_link": 45.0,
    "trunk": 65.0,
    "trunk_link": 40.0,
    "primary": 45.0,
    "primary_link": 30.0,
    "secondary": 40.0,
    "secondary_link": 30.0,
    "tertiary": 35.0,
    "tertiary_link": 25.0,
    "unclassified": 30.0,
    "road": 30.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
}
"""Average speed (km/h) per drivable ``highway`` class when no ``maxspeed`` is tagged."""

DRIVABLE_HIGHWAYS = frozenset(DEFAULT_SPEED_KMH)

MAXSPEED_FACTOR = 0.85
"""Share of a tagged ``maxspeed`` a delivery van averages."""

WALKABLE_HIGHWAYS = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "steps",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "road",
        "platform",
        "cycleway",
        "track",
        "bridleway",
    }
)
"""``highway`` classes a pedestrian may use (never motorway or trunk), unless ``foot=no``."""

_NO_ACCESS = frozenset({"no", "private"})
_ONEWAY_FORWARD = frozenset({"yes", "1", "true"})
_ONEWAY_BACKWARD = frozenset({"-1", "reverse"})
_IMPLIED_ONEWAY_HIGHWAYS = frozenset({"motorway"})
_IMPLIED_ONEWAY_JUNCTIONS = frozenset({"roundabout", "circular"})

KEPT_TAGS: tuple[str, ...] = (
    "highway",
    "name",
    "oneway",
    "maxspeed",
    "junction",
    "access",
    "vehicle",
    "motor_vehicle",
    "motorcar",
    "foot",
    "service",
    "public_transport",
    "area",
)
"""The tags this project reads; derived data files keep only these."""


def is_drivable(tags: Tags) -> bool:
    """True when a delivery van may drive the way (class, access and area rules)."""
    if tags.get("highway") not in DRIVABLE_HIGHWAYS:
        return False
    if tags.get("area") == "yes":
        return False
    if tags.get("access") in _NO_ACCESS:
        return False
    for key in ("vehicle", "motor_vehicle", "motorcar"):
        if tags.get(key) in _NO_ACCESS:
            return False
    return True


def is_walkable(tags: Tags) -> bool:
    """True when a pedestrian may walk the way (class and ``foot``/``access`` rules)."""
    highway = tags.get("highway")
    if highway not in WALKABLE_HIGHWAYS:
        return False
    foot = tags.get("foot")
    if foot in _NO_ACCESS:
        return False
    if tags.get("access") in _NO_ACCESS and foot not in {"yes", "designated", "permissive"}:
        return False
    return True


def oneway_direction(tags: Tags) -> int:
    """Driving direction along the way's coordinates: ``1`` forward only, ``-1`` backward only, ``0`` both.

    ``oneway=yes/1/true`` is forward, ``oneway=-1`` backward; ``junction=roundabout`` and
    ``highway=motorway`` imply forward unless ``oneway=no`` says otherwise (as OSM does).
    """
    oneway = (tags.get("oneway") or "").strip().lower()
    if oneway in _ONEWAY_FORWARD:
        return 1
    if oneway in _ONEWAY_BACKWARD:
        return -1
    if oneway == "no":
        return 0
    if tags.get("junction") in _IMPLIED_ONEWAY_JUNCTIONS:
        return 1
    if tags.get("highway") in _IMPLIED_ONEWAY_HIGHWAYS:
        return 1
    return 0


_MAXSPEED_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)


def parse_maxspeed_kmh(value: str | None) -> float | None:
    """Numeric ``maxspeed`` in km/h (``"50"``, ``"30 mph"``), or None for missing/symbolic values."""
    if not value:
        return None
    match = _MAXSPEED_RE.match(str(value).split(";")[0])
    if not match:
        return None
    speed = float(match.group(1))
    if match.group(2) and match.group(2).lower() == "mph":
        speed *= 1.609344
    return speed if speed > 0 else None


def drive_speed_mps(tags: Tags) -> float:
    """Average driving speed (metres per second) on a drivable way."""
    tagged = parse_maxspeed_kmh(tags.get("maxspeed"))
    default = DEFAULT_SPEED_KMH.get(tags.get("highway", ""), 20.0)
    kmh = max(5.0, MAXSPEED_FACTOR * tagged) if tagged is not None else default
    return kmh / 3.6


NO_STOPPING_HIGHWAYS = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})
"""Road classes a van cannot stop on to deliver: customers are never snapped onto them."""


def allows_stopping(tags: Tags) -> bool:
    """True when a van may stop on the way to serve an address (not motorway/trunk or their links)."""
    return tags.get("highway") not in NO_STOPPING_HIGHWAYS


def is_platform(tags: Tags) -> bool:
    """True for public-transport platforms (``highway=platform`` or ``public_transport=platform``)."""
    return tags.get("highway") == "platform" or tags.get("public_transport") == "platform"
