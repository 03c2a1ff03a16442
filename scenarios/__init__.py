"""Scenario files (depots, fleet, customers, pickup points, order history) and the simulation runner."""
