"""``lastmile customer export|forget`` and ``lastmile retention run``: the same work as the API,
bad input named (``lastmile`` exits 2 on :class:`webui.cli.BadInput`)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from scheduling.storage.models import Booking
from tests.webui.api_client import booking_body, make_api
from webui.cli import BadInput
from webui.cli_privacy import add_commands
from tests.webui.cli_support import command_runner


lastmile = command_runner(add_commands)


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("LASTMILE_NOW", "2026-11-23T08:00:00Z")  # the API client's clock: the booking is to come
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    api = make_api(url)
    booking = api.post("/api/v1/bookings", booking_body(address="Storgatan 1", personalization_consent=True)).get_json()
    return url, api, booking


def test_export_prints_or_writes_the_customers_data_and_refuses_to_overwrite(store, tmp_path, capsys):
    url, _api, booking = store
    assert lastmile(["customer", "export", "c1", "--shop", "Shop A", "--database-url", url]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [b["id"] for b in printed["bookings"]] == [booking["id"]] and printed["bookings"][0]["address"] == "Storgatan 1"
    out = tmp_path / "c1.json"
    assert lastmile(["customer", "export", "c1", "--shop", "Shop A", "--out", str(out), "--database-url", url]) == 0
    assert json.loads(out.read_text())["customer_id"] == "c1"
    with pytest.raises(BadInput, match="--out: .* exists"):
        lastmile(["customer", "export", "c1", "--shop", "Shop A", "--out", str(out), "--database-url", url])


def test_forget_erases_once_and_says_so_the_second_time(store, capsys):
    url, api, booking = store
    assert lastmile(["customer", "forget", "c1", "--shop", "Shop A", "--database-url", url]) == 0
    assert "1 bookings to come cancelled" in capsys.readouterr().out
    with api.app.extensions["lastmile.db"].session() as s:
        row = s.get(Booking, booking["id"])
        assert row.status == "cancelled" and row.address is None and row.customer_id != "c1"
        assert s.scalars(select(Booking).where(Booking.customer_id == "c1")).all() == []
    assert lastmile(["customer", "forget", "c1", "--shop", "Shop A", "--database-url", url]) == 0
    assert "erased before; nothing changed" in capsys.readouterr().out


def test_an_unknown_shop_or_customer_is_bad_input(store):
    url, _api, _booking = store
    with pytest.raises(BadInput, match="--shop: no shop named 'Nope'; the shops are: Shop A, Shop B"):
        lastmile(["customer", "forget", "c1", "--shop", "Nope", "--database-url", url])
    with pytest.raises(BadInput, match="customer_id: shop 'Shop A' has no data on customer c9"):
        lastmile(["customer", "export", "c9", "--shop", "Shop A", "--database-url", url])


def test_retention_run_reports_what_it_changed(store, capsys):
    url, _api, _booking = store
    assert lastmile(["retention", "run", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Retention (personal fields 90 days, history 730 days): anonymized 0 bookings of 0 days")
