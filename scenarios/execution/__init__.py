"""The day as it is driven: what happened on the road, on top of the published plan.

* :mod:`scenarios.execution.events` records drivers' (and the dispatcher's) events, re-times
  the van's remaining stops and tells the shops (delay risk, delivered, failed);
* :mod:`scenarios.execution.day` reads the day back (:func:`~scenarios.execution.day.driven_day`);
* :mod:`scenarios.execution.tokens` signs drivers in for one vehicle on one date.

Times are seconds since midnight of the plan date, local time, like every plan time.
"""

from scenarios.execution.events import (  # noqa: E402
    EVENT_KINDS,
    FAILURE_REASONS,
    DeliveryEvent,
    EventRefused,
    Recorded,
    record_event,
)
from scenarios.execution.day import DrivenDay, StopState, VehicleState, driven_day  # noqa: E402

__all__ = ["EVENT_KINDS", "FAILURE_REASONS", "DeliveryEvent", "EventRefused", "Recorded", "record_event",
           "DrivenDay", "StopState", "VehicleState", "driven_day"]
