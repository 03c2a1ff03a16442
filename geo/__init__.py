"""Streets: road and walking networks, snapping, travel-time matrices, zones and map GeoJSON.

Start with :func:`geo.network.load_network`; see ``docs/geo.md``. Street data is
(c) OpenStreetMap contributors, ODbL (:data:`geo.network.ODBL_NOTICE`).
"""
