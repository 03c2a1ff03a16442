"""``GET /api/v1/events``: a shop pages through its own events after an id; bad paging is a 422 naming the field."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from scheduling import outbox
from scheduling.storage.models import Shop
from tests.webui.api_client import NOW, make_api


@pytest.fixture
def api(tmp_path):
    return make_api(f"sqlite:///{tmp_path / 'api.db'}")


def shop_id(api, name: str) -> int:
    with api.app.extensions["lastmile.db"].session() as s:
        return s.scalar(select(Shop.id).where(Shop.name == name))


def add_events(api, name: str, n: int, booking: str = "b1") -> list[int]:
    with api.app.extensions["lastmile.db"].session() as s:
        events = [outbox.enqueue(s, shop_id(api, name), booking, "booking.eta_changed", {"seq": i}, NOW) for i in range(n)]
        s.flush()
        return [e.id for e in events]


def test_a_shop_pages_through_its_events_oldest_first(api):
    ids = add_events(api, "Shop A", 5)
    first = api.get("/api/v1/events?limit=2")
    assert first.status_code == 200
    page = first.get_json()
    assert [e["id"] for e in page["events"]] == ids[:2] and page["next_after"] == ids[1]
    assert page["events"][0] == {
        "id": ids[0], "type": "booking.eta_changed", "booking_id": "b1",
        "created_at": "2026-11-23T08:00:00Z", "data": {"seq": 0},
    }
    rest = api.get(f"/api/v1/events?after={page['next_after']}").get_json()
    assert [e["id"] for e in rest["events"]] == ids[2:] and rest["next_after"] == ids[-1]
    empty = api.get(f"/api/v1/events?after={rest['next_after']}").get_json()
    assert empty == {"events": [], "next_after": ids[-1]}, "nothing new: after stays where it was"


def test_a_shop_sees_only_its_own_events(api):
    mine = add_events(api, "Shop A", 2)
    theirs = add_events(api, "Shop B", 3, booking="b9")
    assert [e["id"] for e in api.get("/api/v1/events").get_json()["events"]] == mine
    assert [e["id"] for e in api.get("/api/v1/events", key=api.other_key).get_json()["events"]] == theirs
    past_theirs = api.get(f"/api/v1/events?after={mine[0] - 1}&limit=500").get_json()
    assert {e["id"] for e in past_theirs["events"]}.isdisjoint(theirs)


def test_the_limit_defaults_to_100(api):
    ids = add_events(api, "Shop A", 101)
    page = api.get("/api/v1/events").get_json()
    assert len(page["events"]) == 100 and page["next_after"] == ids[99]


def test_events_need_the_shops_key(api):
    r = api.client.get("/api/v1/events")
    assert r.status_code == 401 and r.get_json()["error"]["field"] == "X-API-Key"


@pytest.mark.parametrize(
    "query, field, reason",
    [
        ("after=-1", "after", "greater_than_equal"),
        ("after=abc", "after", "int_parsing"),
        ("after=1.5", "after", "int_parsing"),
        ("after=99999999999", "after", "less_than_equal"),
        ("limit=0", "limit", "greater_than_equal"),
        ("limit=501", "limit", "less_than_equal"),
        ("limit=ten", "limit", "int_parsing"),
        ("since=3", "since", "unknown_field"),
    ],
)
def test_bad_paging_is_a_422_naming_the_field(api, query, field, reason):
    r = api.get(f"/api/v1/events?{query}")
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert (error["field"], error["reason"]) == (field, reason)
    assert field in error["message"]


def test_the_path_item_is_valid_openapi_and_the_answer_matches_it(api):
    from jsonschema import Draft202012Validator
    from openapi_spec_validator import validate

    from webui.api.events import openapi_paths
    from webui.openapi import openapi_document

    paths = openapi_paths()
    doc = copy.deepcopy(openapi_document())
    doc["paths"].update(paths)
    validate(doc)
    op = paths["/api/v1/events"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"after", "limit"}
    assert "X-Lastmile-Signature" in op["description"] and "HMAC-SHA256" in op["description"]
    add_events(api, "Shop A", 2)
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    Draft202012Validator(schema).validate(api.get("/api/v1/events").get_json())
    error = api.get("/api/v1/events?limit=0").get_json()
    Draft202012Validator({"$ref": "#/components/schemas/Error", "components": doc["components"]}).validate(error)
