"""Streets: road and walking networks, snapping, travel-time matrices, zones and map GeoJSON."""
