"""Request shapes of the booking API (pydantic, unknown fields refused).

Bodies are validated strictly from JSON (a number sent as a string is a wrong type); query
strings arrive as text and are converted, still refusing unknown parameters.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

CustomerId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:@-]+$", description="the shop's customer id")]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, description="latitude, degrees WGS84")]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, description="longitude, degrees WGS84")]
SlotId = Annotated[str, Field(min_length=1, max_length=40, description="slot id, e.g. home:08:00-10:00, premium:18:00-19:00, pickup:08:00-12:00")]
Tier = Annotated[str, Field(min_length=1, max_length=40, description="member tier; default: the customer's stored tier, else ordinary")]
Parcels = Annotated[int, Field(ge=1, le=20, description="parcels in the order")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SlotsQuery(_Query):
    date: dt.date = Field(description="delivery date YYYY-MM-DD")
    lat: Lat
    lon: Lon
    customer_id: CustomerId | None = None
    tier: Tier | None = None
    parcels: Parcels = 1


class PickupPointsQuery(_Query):
    lat: Lat
    lon: Lon


class BookingsQuery(_Query):
    date: dt.date | None = None
    customer_id: CustomerId | None = None
    limit: int = Field(default=100, ge=1, le=1000)


class BookingBody(_Body):
    customer_id: CustomerId
    date: dt.date = Field(description="delivery date YYYY-MM-DD")
    slot: SlotId
    lat: Lat
    lon: Lon
    tier: Tier | None = None
    parcels: Parcels = 1
    pickup_point_id: str | None = Field(default=None, min_length=1, max_length=80, description="for pickup slots: the point")
    hold: bool = Field(default=False, description="true: hold the slot during checkout (expires), confirm later")


class RescheduleBody(_Body):
    date: dt.date | None = Field(default=None, description="new delivery date")
    slot: SlotId | None = None

    @model_validator(mode="after")
    def _something(self) -> "RescheduleBody":
        if self.date is None and self.slot is None:
            raise ValueError("give a new date, a new slot, or both")
        return self
