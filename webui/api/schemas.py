"""Request shapes of the booking API (pydantic, unknown fields refused).

Bodies are validated strictly from JSON (a number sent as a string is a wrong type; an integer
field takes an integral number such as ``5.0``, as JSON Schema does); query strings arrive as
text and are converted, still refusing unknown parameters.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

# The examples (in the OpenAPI document) make one request that books in the default city, Gothenburg.
CustomerId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:@-]+$", description="the shop's customer id",
                                  examples=["cust-1042"])]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, description="latitude, degrees WGS84", examples=[57.7089])]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, description="longitude, degrees WGS84", examples=[11.9746])]
SlotId = Annotated[str, Field(min_length=1, max_length=40, description="slot id, e.g. home:08:00-10:00, premium:18:00-19:00, pickup:08:00-12:00",
                              examples=["home:18:00-20:00"])]
Tier = Annotated[str, Field(min_length=1, max_length=40, description="member tier; default: the customer's stored tier, else ordinary")]


def _whole_number(value: object) -> object:
    """JSON Schema counts ``5.0`` as an integer: take an integral float as that integer (``5.5`` stays refused)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# After the Field: a BeforeValidator placed before it makes pydantic write ``ge``/``le`` in the JSON schema.
WholeNumber = BeforeValidator(_whole_number)
Parcels = Annotated[int, Field(ge=1, le=20, description="parcels in the order"), WholeNumber]


def _iso_date(value: object) -> object:
    """Only ``YYYY-MM-DD``: pydantic alone also takes Unix timestamps (``0`` is 1970-01-01) and datetimes."""
    if not isinstance(value, str):
        return value
    fix = "write it as YYYY-MM-DD, for example 2026-11-25"
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise PydanticCustomError("date_parsing", "'{value}' is not a date; " + fix, {"value": value[:40]})
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise PydanticCustomError("date_parsing", "'{value}' is not a date ({reason}); " + fix,
                                  {"value": value, "reason": str(exc)}) from None


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


def _refuse_control(text: str, *, newlines: bool) -> str:
    """Refuse control characters (and Unicode line/paragraph separators); ``newlines`` lets ``\n`` and ``\r\n`` through."""
    for i, ch in enumerate(text):
        if newlines and (ch == "\n" or (ch == "\r" and text[i + 1 : i + 2] == "\n")):
            continue
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            allowed = " (newlines are fine)" if newlines else ""
            raise PydanticCustomError(
                "control_character",
                "contains the control character U+{code} at position {position}; remove it{allowed}",
                {"code": f"{ord(ch):04X}", "position": i + 1, "allowed": allowed},
            )
    return text


def _printable_ref(text: str) -> str:
    for i, ch in enumerate(text):
        if not ch.isprintable():
            raise PydanticCustomError(
                "not_printable",
                "contains the unprintable character U+{code} at position {position}; use letters, digits and punctuation",
                {"code": f"{ord(ch):04X}", "position": i + 1},
            )
    if not text.strip():
        raise PydanticCustomError("blank", "is blank; give the shop's order reference or leave it out")
    return text


OrderRef = Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_printable_ref)]
# The same rule as a JSON Schema pattern for the document (Cc is U+0000-001F and U+007F-009F, Zl
# U+2028, Zp U+2029); the validator above gives the message naming the character and its position.
_CONTROL = "\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029"
ONE_LINE_PATTERN = f"^[^{_CONTROL}]*$"
LINES_PATTERN = f"^(?:[^{_CONTROL}]|\\r?\\n)*$"


def text_field(max_length: int, *, newlines: bool):
    """Up to ``max_length`` characters without control characters (``newlines``: ``\\n`` and ``\\r\\n`` allowed)."""
    pattern = LINES_PATTERN if newlines else ONE_LINE_PATTERN
    return Annotated[str, Field(max_length=max_length, json_schema_extra={"pattern": pattern}),
                     AfterValidator(lambda t: _refuse_control(t, newlines=newlines))]


Address = text_field(200, newlines=False)
Instructions = text_field(500, newlines=True)
Notify = Literal["none", "sms", "email"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


DATE_EXAMPLE = "2026-11-25"


class SlotsQuery(_Query):
    date: IsoDate = Field(description="delivery date YYYY-MM-DD", examples=[DATE_EXAMPLE])
    lat: Lat
    lon: Lon
    customer_id: CustomerId | None = None
    tier: Tier | None = None
    parcels: Parcels = 1
    personalization_consent: bool | None = Field(default=None, description="whether the customer consented to personalization from their order history; absent: what the store last heard (none: not personalized); false withdraws consent and deletes the learned profile")


class PickupPointsQuery(_Query):
    lat: Lat
    lon: Lon


class BookingsQuery(_Query):
    date: IsoDate | None = None
    customer_id: CustomerId | None = None
    limit: int = Field(default=100, ge=1, le=1000)


class BookingBody(_Body):
    customer_id: CustomerId
    date: IsoDate = Field(description="delivery date YYYY-MM-DD", examples=[DATE_EXAMPLE])
    slot: SlotId
    lat: Lat
    lon: Lon
    tier: Tier | None = None
    parcels: Parcels = 1
    pickup_point_id: str | None = Field(default=None, min_length=1, max_length=80, description="for pickup slots: the point")
    hold: bool = Field(default=False, description="true: hold the slot during checkout (expires), confirm later")
    order_ref: OrderRef | None = Field(
        default=None, description="the shop's order reference, 1-80 printable characters; unique among the shop's live bookings",
        examples=["ORD-2001"],
    )
    address: Address | None = Field(default=None, description="the delivery address as the driver reads it, one line, up to 200 characters",
                                    examples=["Kungsgatan 12, 411 19 Göteborg"])
    bulky: bool = Field(default=False, description="a bulky order: the stop gets the scenario's extra handling seconds at the door")
    instructions: Instructions | None = Field(
        default=None, description="how to reach the door (entry code, floor, where to leave it), up to 500 characters, newlines allowed",
        examples=["Door code 1942, third floor"],
    )
    notify: Notify = Field(default="none", description="how the customer wants to hear about the delivery: none, sms or email")
    personalization_consent: bool | None = Field(default=None, description="whether the customer consented to personalization from their order history; absent: what the store last heard (none: not personalized); false withdraws consent and deletes the learned profile")
    quote_id: str | None = Field(
        default=None, min_length=1, max_length=600,
        description="the quote_id of the slot in the offer the customer saw: the booking pays that fee while the quote is valid",
    )
    rebook_of: str | None = Field(
        default=None, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9]+$",
        description="the id of this shop's failed booking this one books again (see GET /bookings/{id}/rebook-offer)",
    )


class RescheduleBody(_Body):
    date: IsoDate | None = Field(default=None, description="new delivery date", examples=[DATE_EXAMPLE])
    slot: SlotId | None = None

    @model_validator(mode="after")
    def _something(self) -> "RescheduleBody":
        if self.date is None and self.slot is None:
            raise ValueError("give a new date, a new slot, or both")
        return self
