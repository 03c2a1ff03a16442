"""Customers' data over whole days: erasing one customer, the retention run.

Both anonymize bookings (:mod:`scheduling.privacy.anonymize`) and, before that, the saved plans
of the days those bookings were on (:mod:`.plans`): the customer's stops move to their zone's
centre, and the street legs the actual scorecard needs from and to them are kept in the plan,
so a past day's scorecard is the same after as before.
"""
