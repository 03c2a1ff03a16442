"""Where anonymized stops go: the centre of their zone, snapped to the street network."""

from __future__ import annotations

import numpy as np

from scheduling.booking_setup import BookingSetup
from scheduling.privacy.anonymize import ZonePlace


def zone_places(setup: BookingSetup) -> dict[str, ZonePlace]:
    """Every zone's centre (degrees) and the street node nearest to it (no distance limit: a
    centre in the river still gets the nearest street)."""
    zones = setup.area.zones
    ids = list(zones.ids)
    centres = [zones[z].center for z in ids]
    nodes = setup.area.network.snap(np.asarray([c[0] for c in centres]), np.asarray([c[1] for c in centres]),
                                    labels=[f"centre of zone {z}" for z in ids], max_distance_m=float("inf"))
    return {z: ZonePlace(round(c[0], 6), round(c[1], 6), int(n)) for z, c, n in zip(ids, centres, nodes)}
