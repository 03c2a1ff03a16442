"""Customers' data as the law expects: consent to personalization, export, erasure, retention.

* :mod:`.consent`: whether a shop's customer consented to personalization; withdrawing deletes
  the learned profile at once.
* :mod:`.export`: everything the store holds about one customer of one shop, as JSON.
* :mod:`.anonymize`: removes the personal fields of bookings and what refers to them (feedback
  comments, recipients of deliveries, stored API answers, event payloads), keeping what the
  scorecards and the forecast need (zone, date, slot, counts, times, outcomes).

The day-level steps that need the street network and the saved plans (erasure of a customer,
the retention run) live in :mod:`scenarios.privacy`.
"""
