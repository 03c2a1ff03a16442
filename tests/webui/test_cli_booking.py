"""``lastmile booking cancel``: the operator cancels any shop's booking, also past the cut-off;
an unknown id is bad input (``lastmile`` exits 2 on :class:`webui.cli.BadInput`)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from scheduling.storage.models import Booking, OutboxEvent
from tests.webui.api_client import booking_body, make_api
from webui.cli import BadInput
from webui.cli_booking import add_commands
from tests.webui.cli_support import command_runner


lastmile = command_runner(add_commands)


def test_booking_cancel_cancels_tells_the_shop_and_a_second_run_changes_nothing(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    api = make_api(url)
    booking = api.post("/api/v1/bookings", booking_body(order_ref="ORD-3")).get_json()
    assert lastmile(["booking", "cancel", booking["id"], "--reason", "street closed", "--database-url", url]) == 0
    assert "Cancelled booking " + booking["id"] in capsys.readouterr().out
    db = api.app.extensions["lastmile.db"]
    with db.session() as s:
        assert s.get(Booking, booking["id"]).status == "cancelled"
        [event] = s.scalars(select(OutboxEvent)).all()
    assert event.type == "booking.cancelled_by_operator" and json.loads(event.payload_json)["reason"] == "street closed"
    assert lastmile(["booking", "cancel", booking["id"], "--reason", "street closed", "--database-url", url]) == 0
    assert "already cancelled" in capsys.readouterr().out
    with db.session() as s:
        assert len(s.scalars(select(OutboxEvent)).all()) == 1


def test_booking_cancel_of_an_unknown_id_is_bad_input(tmp_path):
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    with pytest.raises(BadInput) as info:
        lastmile(["booking", "cancel", "0" * 32, "--reason", "test", "--database-url", url])
    assert info.value.lines == [f"no booking {'0' * 32}; check the id"]


def test_booking_cancel_needs_a_reason():
    with pytest.raises(SystemExit):
        lastmile(["booking", "cancel", "0" * 32])
