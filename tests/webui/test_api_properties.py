"""Property: whatever a client sends, the API answers with a documented status and never a 500."""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.webui.api_client import DATE, make_api

FIELDS = ["customer_id", "date", "slot", "lat", "lon", "tier", "parcels", "pickup_point_id", "hold",
          "order_ref", "address", "bulky", "instructions", "notify"]
SLOTS = ["home:08:00-10:00", "home:18:00-20:00", "premium:18:00-19:00", "pickup:08:00-12:00", "home:25:00-26:00"]

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10**12, 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(57.6, 57.8),
    st.floats(11.8, 12.1),
    st.text(max_size=30),
    st.sampled_from(SLOTS + ["gold", "platinum", "diamond", "pp-x", DATE, "2020-01-01", "2026-02-30", "c1"]),
    st.dates(dt.date(2026, 11, 1), dt.date(2027, 1, 31)).map(dt.date.isoformat),
    st.lists(st.integers(), max_size=3),
)
bodies = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS) | st.text(min_size=1, max_size=12), values, max_size=11),
    st.fixed_dictionaries(
        {
            "customer_id": st.sampled_from(["c1", "c2", "x"]),
            "date": st.sampled_from([DATE, "2026-11-24", "2026-11-26"]),
            "slot": st.sampled_from(SLOTS),
            "lat": st.floats(57.6, 57.8),
            "lon": st.floats(11.8, 12.1),
        },
        optional={
            "tier": st.sampled_from(["ordinary", "gold", "platinum", "x"]),
            "parcels": st.integers(-1, 30),
            "hold": st.booleans(),
            "pickup_point_id": st.text(max_size=5),
            "order_ref": st.one_of(st.text(max_size=90), st.sampled_from(["ORD-1", "ORD-2"])),
            "address": st.text(max_size=210),
            "bulky": st.booleans(),
            "instructions": st.text(max_size=510),
            "notify": st.sampled_from(["none", "sms", "email", "fax", ""]),
        },
    ),
    values,
)
queries = st.dictionaries(
    st.sampled_from(["date", "lat", "lon", "customer_id", "tier", "parcels", "limit", "x"]),
    st.one_of(st.text(max_size=12), st.floats(57.6, 57.8).map(str), st.floats(11.8, 12.1).map(str), st.just(DATE)),
    max_size=6,
)


@lru_cache(maxsize=1)
def api():
    import tempfile

    folder = tempfile.mkdtemp(prefix="lastmile-prop-")
    return make_api(f"sqlite:///{folder}/prop.db")


def check(r, allowed: set[int]) -> None:
    assert r.status_code < 500, r.get_data(as_text=True)
    assert r.status_code in allowed, (r.status_code, r.get_data(as_text=True))
    if r.status_code >= 400:
        err = r.get_json()["error"]
        assert set(err) == {"field", "reason", "message"} and err["reason"] and err["message"]


@settings(max_examples=70, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies, key=st.sampled_from(["Idempotency-Key", None]))
def test_booking_requests_never_fail_with_a_server_error(body, key):
    a = api()
    headers = a.headers(**({key: "prop-key"} if key else {}))
    r = a.client.post("/api/v1/bookings", data=json.dumps(body), headers={**headers, "Content-Type": "application/json"})
    check(r, {201, 400, 403, 409, 422})


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(query=queries, path=st.sampled_from(["/api/v1/slots", "/api/v1/pickup-points", "/api/v1/bookings"]))
def test_queries_never_fail_with_a_server_error(query, path):
    a = api()
    check(a.client.get(f"{path}?{urlencode(query)}", headers=a.headers()), {200, 422})


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies, booking_id=st.text(max_size=40), method=st.sampled_from(["patch", "delete", "get", "confirm"]))
def test_changes_to_bookings_never_fail_with_a_server_error(body, booking_id, method):
    a = api()
    from urllib.parse import quote

    path = f"/api/v1/bookings/{quote(booking_id, safe='')}"
    if method == "confirm":
        r = a.client.post(path + "/confirm", headers=a.headers())
    elif method == "patch":
        r = a.client.patch(path, data=json.dumps(body), headers={**a.headers(), "Content-Type": "application/json"})
    else:
        r = getattr(a.client, method)(path, headers=a.headers())
    check(r, {200, 400, 403, 404, 405, 409, 422})
