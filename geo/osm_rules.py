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

The cycle (cargo bike) profile, :func:`is_cyclable`, :func:`cycle_oneway_direction` and
:func:`cycle_speed_mps`, has its own table (:data:`CYCLE_SPEED_KMH`); see those functions.

Rush-hour speed factors are keyed by road class group (:data:`ROAD_CLASS_GROUPS`: motorway, trunk,
primary, secondary, tertiary, residential, service) and checked by :func:`validate_speed_factors`.
"""

from __future__ import annotations

import numbers
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
"""The tags derived data files keep (``geo/data/gothenburg.ways.json.gz`` holds exactly these).

Kept as it is so that rebuilding the embedded file stays byte-identical; the cycle tags below
are read too where a source has them (``.osm.pbf`` extracts, see :data:`READ_TAGS`).
"""

CYCLE_TAGS: tuple[str, ...] = ("bicycle", "oneway:bicycle")
"""Bicycle-specific tags the cycle profile honours when present (the embedded file has none)."""

READ_TAGS: tuple[str, ...] = KEPT_TAGS + CYCLE_TAGS
"""Every tag the rules in this module read; sources parsed directly (``.osm.pbf``) keep these."""


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


# -- cycle (cargo bike) profile ------------------------------------------------------------

CYCLE_SPEED_KMH: dict[str, float] = {
    "cycleway": 16.0,
    "residential": 15.0,
    "service": 15.0,
    "unclassified": 15.0,
    "road": 15.0,
    "tertiary": 14.0,
    "tertiary_link": 14.0,
    "secondary": 14.0,
    "secondary_link": 14.0,
    "primary": 14.0,
    "primary_link": 14.0,
    "track": 12.0,
    "path": 12.0,
    "living_street": 8.0,
    "pedestrian": 8.0,
    "footway": 8.0,
}
"""Average cargo-bike speed (km/h) per ``highway`` class, stops and junctions included.

==============================================  =====  ==============================================
highway                                         km/h   why
==============================================  =====  ==============================================
cycleway                                        16     own path, few stops (e-assist tops out at 25)
residential, service, unclassified, road        15     quiet streets, parked cars, give-way junctions
tertiary, secondary, primary (and ``_link``)    14     traffic lights and turning across traffic
track, path                                     12     gravel, shared with walkers
living_street                                   8      Swedish *gångfartsområde*: walking pace for
                                                       every vehicle, bikes included
pedestrian                                      8      Swedish *gågata*: bikes allowed at walking pace
footway                                         8      only where ``bicycle=yes/designated/permissive``
==============================================  =====  ==============================================

Never cyclable: ``motorway``, ``trunk`` and their links (whatever ``bicycle`` says), ``steps``,
``bridleway``, ``platform`` and every class not in this table. A numeric ``maxspeed`` below the
class speed caps it (a bike obeys the limit; it does not speed up to it). ``bicycle=dismount``
means pushing the bike: :data:`DISMOUNT_SPEED_KMH`.
"""

DISMOUNT_SPEED_KMH = 5.0
"""Pushing a loaded cargo bike (``bicycle=dismount``), km/h."""

CYCLABLE_HIGHWAYS = frozenset(CYCLE_SPEED_KMH)

NEVER_CYCLABLE_HIGHWAYS = frozenset({"motorway", "motorway_link", "trunk", "trunk_link", "steps"})
"""Classes a cargo bike never uses, whatever the tags say (listed for documentation and tests)."""

BICYCLE_PERMITTED_ONLY = frozenset({"footway"})
"""Classes that need an explicit ``bicycle`` permission: without it a footway is for walkers."""

CONTRAFLOW_HIGHWAYS = frozenset({"residential", "living_street", "service"})
"""Classes where the cycle profile rides both ways along a ``oneway`` street (see
:func:`cycle_oneway_direction`)."""

_BICYCLE_NO = frozenset({"no", "private", "use_sidepath"})
_BICYCLE_YES = frozenset({"yes", "designated", "permissive", "dismount"})


def is_cyclable(tags: Tags) -> bool:
    """True when a cargo bike may ride (or push, ``bicycle=dismount``) along the way.

    Class: :data:`CYCLABLE_HIGHWAYS`; a ``footway`` only with ``bicycle=yes/designated/
    permissive/dismount``. Not ``area=yes`` (like driving). ``bicycle=no/private/use_sidepath``
    forbids; otherwise ``access`` or ``vehicle`` = ``no``/``private`` forbids unless ``bicycle``
    explicitly permits. ``motor_vehicle``/``motorcar`` do not concern bikes. The embedded
    Gothenburg file carries no ``bicycle`` tag, so there the class and access rules alone decide.
    """
    highway = tags.get("highway")
    if highway not in CYCLABLE_HIGHWAYS:
        return False
    if tags.get("area") == "yes":
        return False
    bicycle = tags.get("bicycle")
    if bicycle in _BICYCLE_NO:
        return False
    if bicycle in _BICYCLE_YES:
        return True
    if highway in BICYCLE_PERMITTED_ONLY:
        return False
    return tags.get("access") not in _NO_ACCESS and tags.get("vehicle") not in _NO_ACCESS


def cycle_oneway_direction(tags: Tags) -> int:
    """Cycling direction along the way's coordinates: ``1`` forward only, ``-1`` backward only, ``0`` both.

    ``oneway:bicycle`` decides when tagged (``yes/1/true``, ``-1``, ``no``). Otherwise the
    driving rule (:func:`oneway_direction`) applies, except that on ``residential``,
    ``living_street`` and ``service`` streets the bike rides both ways: **a documented
    assumption** of this profile, since contraflow cycling on one-way residential streets is
    common in Swedish cities and the embedded data has no ``oneway:bicycle`` tag to say where.
    Roundabouts are never ridden backwards. Cycleways, paths and the like are two-way unless
    ``oneway`` says otherwise.
    """
    tagged = (tags.get("oneway:bicycle") or "").strip().lower()
    if tagged in _ONEWAY_FORWARD:
        return 1
    if tagged in _ONEWAY_BACKWARD:
        return -1
    if tagged == "no":
        return 0
    direction = oneway_direction(tags)
    if (
        direction != 0
        and tags.get("highway") in CONTRAFLOW_HIGHWAYS
        and tags.get("junction") not in _IMPLIED_ONEWAY_JUNCTIONS
    ):
        return 0
    return direction


def cycle_speed_mps(tags: Tags) -> float:
    """Average cargo-bike speed (metres per second) on a cyclable way (:data:`CYCLE_SPEED_KMH`)."""
    if tags.get("bicycle") == "dismount":
        return DISMOUNT_SPEED_KMH / 3.6
    kmh = CYCLE_SPEED_KMH.get(tags.get("highway", ""), 12.0)
    limit = parse_maxspeed_kmh(tags.get("maxspeed"))
    if limit is not None:
        kmh = min(kmh, max(limit, DISMOUNT_SPEED_KMH))
    return kmh / 3.6


# -- road class groups (rush-hour speed factors) -------------------------------------------

ROAD_CLASS_GROUPS: dict[str, tuple[str, ...]] = {
    "motorway": ("motorway", "motorway_link"),
    "trunk": ("trunk", "trunk_link"),
    "primary": ("primary", "primary_link"),
    "secondary": ("secondary", "secondary_link"),
    "tertiary": ("tertiary", "tertiary_link"),
    "residential": ("residential", "living_street", "unclassified", "road"),
    "service": ("service",),
}
"""Road class groups a caller's speed factors are keyed by: group name -> ``highway`` values.

==============  ==================================================
group           highway
==============  ==================================================
motorway        motorway, motorway_link
trunk           trunk, trunk_link
primary         primary, primary_link
secondary       secondary, secondary_link
tertiary        tertiary, tertiary_link
residential     residential, living_street, unclassified, road
service         service, and any other drivable class (the fallback group)
==============  ==================================================

The order is fixed: :data:`ROAD_CLASS_GROUP_NAMES` indexes it, and the driving graph stores one
time weight per group (:func:`geo.graph_build.group_time_weight`).
"""

ROAD_CLASS_GROUP_NAMES: tuple[str, ...] = tuple(ROAD_CLASS_GROUPS)
"""Group names in their fixed order (``ROAD_CLASS_GROUP_NAMES[code]`` for a group code)."""

FALLBACK_ROAD_CLASS_GROUP = "service"
"""Group of any drivable ``highway`` value not listed in :data:`ROAD_CLASS_GROUPS`."""

MAX_SPEED_FACTOR = 1.5
"""Largest accepted speed factor; factors lie in ``(0, MAX_SPEED_FACTOR]``."""

_GROUP_CODE = {h: i for i, hs in enumerate(ROAD_CLASS_GROUPS.values()) for h in hs}
_FALLBACK_CODE = ROAD_CLASS_GROUP_NAMES.index(FALLBACK_ROAD_CLASS_GROUP)


def road_class_group_code(tags: Tags) -> int:
    """Index into :data:`ROAD_CLASS_GROUP_NAMES` of the way's road class group."""
    return _GROUP_CODE.get(tags.get("highway", ""), _FALLBACK_CODE)


def road_class_group(tags: Tags) -> str:
    """Name of the way's road class group (:data:`ROAD_CLASS_GROUPS`; ``"service"`` as fallback)."""
    return ROAD_CLASS_GROUP_NAMES[road_class_group_code(tags)]


def validate_speed_factors(speed_factors: Mapping[str, float] | None) -> dict[str, float]:
    """The factors that change anything, ``{group: factor}`` in group order, factors of 1.0 left out.

    A factor multiplies free-flow speed on the group's roads (0.5 doubles their travel time); a
    group not given keeps 1.0. ``None`` or ``{}`` gives ``{}``. An unknown group name, or a factor
    that is not a real number in ``(0, 1.5]`` (a string or a bool is not), raises ``ValueError``
    naming the key and the accepted names.
    """
    if speed_factors is None:
        return {}
    if not isinstance(speed_factors, Mapping):
        raise ValueError(
            f"speed_factors must be a mapping of road class group -> factor, got {type(speed_factors).__name__}; "
            f"groups: {', '.join(ROAD_CLASS_GROUP_NAMES)}"
        )
    accepted = ", ".join(ROAD_CLASS_GROUP_NAMES)
    checked: dict[str, float] = {}
    for key, value in speed_factors.items():
        if key not in ROAD_CLASS_GROUPS:
            raise ValueError(f"speed_factors: unknown road class group {key!r}; accepted groups: {accepted}")
        is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
        factor = float(value) if is_number else float("nan")
        if not (0.0 < factor <= MAX_SPEED_FACTOR):
            raise ValueError(
                f"speed_factors[{key!r}] = {value!r}: a factor must be a number in (0, {MAX_SPEED_FACTOR}] "
                f"(share of free-flow speed); accepted groups: {accepted}"
            )
        checked[key] = factor
    return {g: checked[g] for g in ROAD_CLASS_GROUP_NAMES if g in checked and checked[g] != 1.0}
