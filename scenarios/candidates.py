"""Pickup-point candidates: where a planner could open a locker or a partner counter.

Three sources, all returned as :class:`scenarios.scenario.PickupPoint` (``active`` marks the
points open today):

* the scenario's ``pickup_points.csv``: named public-transport stops (lockers at stops are
  common practice), a few of them open;
* real shops, post offices and parcel lockers from the OpenStreetMap extract when the scenario's
  network is an ``.osm.pbf`` file (read locally with pyrosm; nothing is downloaded);
* points the planner gives: ``LAT,LON[,TYPE[,CAPACITY[,HH:MM-HH:MM[,DAILY_COST]]]]`` on the
  command line, or a CSV with columns ``lat,lon,type,capacity,hours,daily_cost`` (optional
  ``id``, ``name``).

Every candidate is checked: coordinates, capacity >= 0, opening hours, and that a van can reach
it (it snaps to the driving network within the scenario's snap distance).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Iterable, Sequence

from optimizer.domain import parse_hhmm
from scenarios.scenario import PickupPoint, Scenario

# Defaults for a planner-given point: a standard locker (parcels per day, currency per day).
DEFAULT_KIND = "locker"
DEFAULT_CAPACITY = 60
DEFAULT_HOURS = "07:00-22:00"
DEFAULT_DAILY_COST = 150.0

# Shops and post offices from OpenStreetMap become partner counters: smaller, cheaper, shorter hours.
OSM_COUNTER_CAPACITY = 40
OSM_COUNTER_DAILY_COST = 90.0
OSM_COUNTER_HOURS = "09:00-20:00"
OSM_FILTER = {"shop": True, "amenity": ["post_office", "parcel_locker"]}


class CandidateError(ValueError):
    """A candidate that cannot be used; ``problems`` name each site and the fix."""

    def __init__(self, problems: Sequence[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def _hours(text: str, label: str) -> tuple[int, int]:
    start, sep, end = str(text).strip().partition("-")
    if not sep:
        raise CandidateError(f"{label}: hours '{text}' must look like HH:MM-HH:MM, for example 07:00-22:00")
    try:
        opens, closes = parse_hhmm(start), parse_hhmm(end)
    except ValueError as exc:
        raise CandidateError(f"{label}: hours '{text}': {exc}") from None
    if closes <= opens:
        raise CandidateError(f"{label}: hours '{text}' close before they open")
    return opens, closes


def make_point(
    lat: float,
    lon: float,
    *,
    kind: str = DEFAULT_KIND,
    capacity: int = DEFAULT_CAPACITY,
    hours: str = DEFAULT_HOURS,
    daily_cost: float = DEFAULT_DAILY_COST,
    id: str | None = None,
    name: str | None = None,
    label: str = "site",
) -> PickupPoint:
    """A planner-given point, validated (``label`` names it in errors)."""
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise CandidateError(f"{label}: lat/lon '{lat}', '{lon}' are not numbers") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise CandidateError(f"{label}: ({lat}, {lon}) is not a position; give latitude then longitude in degrees")
    try:
        capacity = int(capacity)
    except (TypeError, ValueError):
        raise CandidateError(f"{label}: capacity '{capacity}' is not a whole number of parcels per day") from None
    if capacity < 0:
        raise CandidateError(f"{label}: capacity {capacity} is negative; give parcels per day >= 0")
    try:
        daily_cost = float(daily_cost)
    except (TypeError, ValueError):
        raise CandidateError(f"{label}: daily cost '{daily_cost}' is not a number") from None
    if daily_cost < 0:
        raise CandidateError(f"{label}: daily cost {daily_cost} is negative; give currency per day >= 0")
    opens, closes = _hours(hours, label)
    pid = id or f"new-{lat:.5f}-{lon:.5f}"
    return PickupPoint(
        id=pid,
        name=name or f"New {kind} {lat:.5f}, {lon:.5f}",
        lat=lat,
        lon=lon,
        kind=kind,
        capacity=capacity,
        opens=opens,
        closes=closes,
        daily_cost=daily_cost,
        active=False,
    )


_LATLON = re.compile(r"^\s*-?\d+(\.\d+)?\s*,\s*-?\d+(\.\d+)?")


def parse_site(text: str, known: Sequence[PickupPoint] = ()) -> PickupPoint:
    """A site from the command line: a candidate id, or ``LAT,LON[,TYPE[,CAPACITY[,HOURS[,DAILY_COST]]]]``."""
    by_id = {p.id: p for p in known}
    if text in by_id:
        return by_id[text]
    if not _LATLON.match(text):
        hint = f" (for example {', '.join(list(by_id)[:3])})" if by_id else ""
        raise CandidateError(
            f"site '{text}': not a candidate id{hint} nor LAT,LON[,TYPE[,CAPACITY[,HH:MM-HH:MM[,DAILY_COST]]]]"
        )
    parts = [p.strip() for p in text.split(",")]
    if len(parts) > 6:
        raise CandidateError(f"site '{text}': too many fields; give LAT,LON,TYPE,CAPACITY,HOURS,DAILY_COST")
    fields = dict(zip(("lat", "lon", "kind", "capacity", "hours", "daily_cost"), parts))
    return make_point(**{k: v for k, v in fields.items() if v != ""}, label=f"site '{text}'")


def read_planner_csv(path: Path) -> list[PickupPoint]:
    """Planner-given points from a CSV (``lat,lon,type,capacity,hours,daily_cost``, optional ``id,name``).

    All problems are collected and raised together, each naming the line.
    """
    problems: list[str] = []
    out: list[PickupPoint] = []
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = [c for c in ("lat", "lon") if c not in (reader.fieldnames or [])]
        if missing:
            raise CandidateError(f"{path}: missing column(s) {', '.join(missing)}")
        for line, row in enumerate(reader, start=2):
            try:
                out.append(
                    make_point(
                        row["lat"],
                        row["lon"],
                        kind=row.get("type") or DEFAULT_KIND,
                        capacity=row.get("capacity") or DEFAULT_CAPACITY,
                        hours=row.get("hours") or DEFAULT_HOURS,
                        daily_cost=row.get("daily_cost") or DEFAULT_DAILY_COST,
                        id=row.get("id") or None,
                        name=row.get("name") or None,
                        label=f"{path} line {line}",
                    )
                )
            except CandidateError as exc:
                problems.extend(exc.problems)
    if problems:
        raise CandidateError(problems)
    return out


def _first_hours(opening_hours: object) -> str:
    """The first ``HH:MM-HH:MM`` of an OSM ``opening_hours`` value, else the counter default."""
    m = re.search(r"(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})", str(opening_hours or ""))
    if not m:
        return OSM_COUNTER_HOURS
    text = f"{int(m.group(1).split(':')[0]):02d}:{m.group(1).split(':')[1]}-{int(m.group(2).split(':')[0]):02d}:{m.group(2).split(':')[1]}"
    try:
        _hours(text, "osm")
    except CandidateError:
        return OSM_COUNTER_HOURS
    return text


def osm_candidates(pbf_path: str | Path) -> list[PickupPoint]:
    """Shops, post offices and parcel lockers in a local ``.osm.pbf`` extract, as partner counters.

    Read with pyrosm from the file given; nothing is downloaded. Polygons (a shop mapped as a
    building) are placed at their centroid.
    """
    import pyrosm

    pbf_path = Path(pbf_path)
    if not pbf_path.is_file():
        raise CandidateError(f"{pbf_path}: no such .osm.pbf file")
    pois = pyrosm.OSM(str(pbf_path)).get_pois(custom_filter=OSM_FILTER)
    if pois is None or len(pois) == 0:
        return []
    out = []
    for _, row in pois.iterrows():
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        c = geom if geom.geom_type == "Point" else geom.centroid
        amenity = row.get("amenity") if "amenity" in pois.columns else None
        shop = row.get("shop") if "shop" in pois.columns else None
        if isinstance(amenity, str) and amenity == "parcel_locker":
            kind = "locker"
        elif isinstance(amenity, str) and amenity == "post_office":
            kind = "post_office"
        else:
            kind = "shop"
        name = row.get("name")
        label = name if isinstance(name, str) and name else f"{kind} ({shop or amenity or 'unnamed'})"
        out.append(
            PickupPoint(
                id=f"osm-{row.get('osm_type', 'node')}-{int(row['id'])}",
                name=label,
                lat=float(c.y),
                lon=float(c.x),
                kind=kind,
                capacity=OSM_COUNTER_CAPACITY if kind != "locker" else DEFAULT_CAPACITY,
                opens=_hours(_first_hours(row.get("opening_hours")), "osm")[0],
                closes=_hours(_first_hours(row.get("opening_hours")), "osm")[1],
                daily_cost=OSM_COUNTER_DAILY_COST if kind != "locker" else DEFAULT_DAILY_COST,
                active=False,
            )
        )
    return sorted(out, key=lambda p: p.id)


def scenario_candidates(scenario: Scenario, extra: Iterable[PickupPoint] = ()) -> list[PickupPoint]:
    """All candidates of a scenario: its pickup points, OSM counters if its network is a
    ``.pbf`` extract, and ``extra`` planner points. Ids must be unique."""
    points = list(scenario.pickup_points)
    source = scenario.network_source
    if source.endswith(".pbf") and Path(source).is_file():
        points.extend(osm_candidates(source))
    points.extend(extra)
    seen: dict[str, PickupPoint] = {}
    problems = []
    for p in points:
        if p.id in seen and seen[p.id] != p:
            problems.append(f"candidate id '{p.id}' is used twice; give each site its own id")
        seen[p.id] = p
    if problems:
        raise CandidateError(problems)
    return list(seen.values())


def check_on_network(points: Sequence[PickupPoint], network, max_distance_m: float) -> None:
    """Raise :class:`CandidateError` naming every point a van cannot reach: farther than
    ``max_distance_m`` metres from the driving network."""
    if not points:
        return
    import numpy as np

    lats = np.array([p.lat for p in points])
    lons = np.array([p.lon for p in points])
    _, dist = network.snapper("drive").nearest(lats, lons)
    problems = [
        f"site {p.id} ({p.lat:.5f}, {p.lon:.5f}) is outside the street network: {d:,.0f} m from the nearest "
        f"street (limit {max_distance_m:g} m); move it onto a street or choose another site"
        for p, d in zip(points, dist)
        if not np.isfinite(d) or d > max_distance_m
    ]
    if problems:
        raise CandidateError(problems)
