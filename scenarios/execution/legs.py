"""The next leg of a driver's route, traced along the streets for the driver's map.

The leg to a stop starts at the stop before it on the van's route (the depot for the first)
and follows the fastest path on the scenario's street network, the same network and tracing
as the dispatcher's map (:func:`scenarios.export.routes_geojson`). Coordinates are WGS84
degrees.
"""

from __future__ import annotations

from geo.geojson import feature_collection, line_feature, point_feature
from geo.network import ODBL_NOTICE, RoadNetwork
from geo.snap import SnapError
from scenarios.execution.day import VehicleState


class LegError(ValueError):
    """A leg that cannot be drawn: ``status``, ``field``, ``reason`` and a message saying what to do."""

    def __init__(self, status: int, field: str, reason: str, message: str):
        super().__init__(message)
        self.status, self.field, self.reason, self.message = status, field, reason, message


def next_leg_geojson(network: RoadNetwork, vehicle: VehicleState, stop_id: str, *, max_snap_m: float) -> dict:
    """A GeoJSON FeatureCollection: the leg to ``stop_id`` as a line, and its two ends as points."""
    stops = vehicle.stops
    k = next((i for i, s in enumerate(stops) if s.stop_id == stop_id), None)
    if k is None:
        raise LegError(404, "stop", "not_on_route", f"stop '{stop_id}' is not on the route of {vehicle.vehicle_id}")
    to = stops[k]
    if k == 0:
        start = {"kind": "from", "name": "depot", "lat": vehicle.depot_lat, "lon": vehicle.depot_lon}
    else:
        prev = stops[k - 1]
        start = {"kind": "from", "name": prev.address or prev.stop_id, "stop_id": prev.stop_id, "lat": prev.lat, "lon": prev.lon}
    try:
        a, b = (int(n) for n in network.snap([start["lat"], to.lat], [start["lon"], to.lon],
                                              labels=["the leg's start", f"stop {to.stop_id}"], max_distance_m=max_snap_m))
    except SnapError as exc:
        raise LegError(422, "stop", "off_the_streets", str(exc)) from None
    coords = network.route_coordinates([a, b]) if a != b else [[start["lon"], start["lat"]], [to.lon, to.lat]]
    features = [
        line_feature(coords, {"kind": "leg", "vehicle_id": vehicle.vehicle_id, "stop_id": to.stop_id, "seq": to.seq}),
        point_feature(start["lon"], start["lat"], {k2: v for k2, v in start.items() if k2 not in ("lat", "lon")}),
        point_feature(to.lon, to.lat, {"kind": "to", "stop_id": to.stop_id, "seq": to.seq, "address": to.address}),
    ]
    return feature_collection(features, attribution=ODBL_NOTICE)
