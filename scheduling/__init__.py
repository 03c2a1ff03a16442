"""Customers, slot calendar, preferences, forecasts, slot capacity and bookings with their storage."""
