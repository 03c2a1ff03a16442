"""``lastmile shop tiers``: the operator sets which tiers a shop may assert and its daily cap on
privileged bookings; unknown tiers and shops are bad input and change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from scheduling.storage import open_database
from scheduling.storage.models import AuditEntry, Shop
from tests.webui.api_client import booking_body, make_api
from tests.webui.cli_support import command_runner
from webui.cli import BadInput
from webui.cli_shop_policy import add_commands

lastmile = command_runner(lambda sub: add_commands(sub.add_parser("shop").add_subparsers(dest="shop_command", required=True)))


def test_the_operator_limits_a_shops_tiers_and_the_api_refuses_others(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    api = make_api(url)
    assert lastmile(["shop", "tiers", "Shop A", "--allow", "ordinary,silver", "--premium-share", "30%", "--database-url", url]) == 0
    assert "may assert tiers ordinary,silver; privileged-tier cap 30% of its bookings a day from 10" in capsys.readouterr().out
    r = api.post("/api/v1/bookings", booking_body(tier="gold"))
    assert r.status_code == 403 and r.get_json()["error"]["reason"] == "tier_not_allowed"
    assert api.post("/api/v1/bookings", booking_body(tier="silver")).status_code == 201
    with open_database(url).session() as s:
        assert s.scalar(select(AuditEntry.detail).where(AuditEntry.action == "shop.policy")).startswith("allowed tiers ordinary,silver")
    assert lastmile(["shop", "tiers", "Shop A", "--allow", "all", "--premium-share", "none", "--database-url", url]) == 0
    assert api.post("/api/v1/bookings", booking_body(customer_id="c2", tier="gold")).status_code == 201


def test_an_unknown_tier_or_shop_is_bad_input_and_nothing_changes(tmp_path):
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    make_api(url)
    with pytest.raises(BadInput, match="--allow: diamond is not a tier of scenario gothenburg"):
        lastmile(["shop", "tiers", "Shop A", "--allow", "ordinary,diamond", "--database-url", url])
    with pytest.raises(BadInput, match="no shop named 'Nope'"):
        lastmile(["shop", "tiers", "Nope", "--allow", "ordinary", "--database-url", url])
    with open_database(url).session() as s:
        assert s.scalar(select(Shop.allowed_tiers).where(Shop.name == "Shop A")) is None
    with pytest.raises(SystemExit):
        lastmile(["shop", "tiers", "Shop A", "--premium-share", "150%", "--database-url", url])
