"""``lastmile shop webhook SHOP URL [--remove]``: prints the secret once; bad input is exit status 2."""

from __future__ import annotations

import argparse

import pytest

import webui.cli
from scheduling.storage import open_database
from scheduling.storage.models import Shop
from scheduling.webhooks import sign, verify
from webui.api.auth import create_shop
from webui.cli_webhooks import add_commands


@pytest.fixture
def cli(monkeypatch):
    """``webui.cli.main`` with ``shop webhook`` registered (as the lead wires it in build_parser)."""
    build = webui.cli.build_parser

    def with_webhook() -> argparse.ArgumentParser:
        parser = build()
        shop = next(a for a in parser._subparsers._group_actions if "shop" in a.choices).choices["shop"]
        ssub = next(a for a in shop._subparsers._group_actions if isinstance(a, argparse._SubParsersAction))
        if "webhook" not in ssub.choices:
            add_commands(ssub)
        return parser

    monkeypatch.setattr(webui.cli, "build_parser", with_webhook)
    return webui.cli.main


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    create_shop(open_database(url), "Acme")
    return url


def stored(url: str) -> tuple[str | None, str | None]:
    with open_database(url).session() as s:
        shop = s.query(Shop).filter_by(name="Acme").one()
        return shop.webhook_url, shop.webhook_secret


def test_setting_a_webhook_prints_the_secret_once_and_how_to_verify(cli, url, capsys):
    assert cli(["shop", "webhook", "Acme", "https://acme.example/hooks", "--database-url", url]) == 0
    out = capsys.readouterr().out.splitlines()
    hook, secret = stored(url)
    assert hook == "https://acme.example/hooks"
    assert out[1] == secret
    assert "X-Lastmile-Signature" in out[2] and "HMAC-SHA256" in out[2]
    assert verify(out[1], sign(secret, 100, b"{}"), b"{}", now=100)


def test_removing_a_webhook(cli, url, capsys):
    cli(["shop", "webhook", "Acme", "https://acme.example/hooks", "--database-url", url])
    assert cli(["shop", "webhook", "Acme", "--remove", "--database-url", url]) == 0
    assert "webhook removed" in capsys.readouterr().out
    assert stored(url) == (None, None)


@pytest.mark.parametrize(
    "argv, says",
    [
        (["shop", "webhook", "Acme", "http://acme.example/hooks"], "plain http is allowed only to this machine"),
        (["shop", "webhook", "Nobody", "https://acme.example/hooks"], "no shop named or numbered 'Nobody'"),
        (["shop", "webhook", "Acme"], "give either the webhook URL or --remove"),
        (["shop", "webhook", "Acme", "https://acme.example/hooks", "--remove"], "not both"),
    ],
)
def test_bad_input_is_exit_status_2_with_the_reason(cli, url, capsys, argv, says):
    assert cli([*argv, "--database-url", url]) == 2
    assert says in capsys.readouterr().err
    assert stored(url) == (None, None)
