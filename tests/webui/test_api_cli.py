"""``lastmile shop add`` prints a key that opens the API; ``lastmile serve`` is wired to waitress."""

from __future__ import annotations

import pytest

from scheduling.storage import open_database
from webui.api.auth import shop_for_key
from webui.cli import build_parser, main


def test_shop_add_prints_a_key_that_authenticates(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["shop", "add", "Acme", "--database-url", url, "--key-only"]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("lm_") and len(key) > 40
    db = open_database(url)
    assert shop_for_key(db, key) is not None
    assert shop_for_key(db, key + "x") is None


def test_a_second_shop_with_the_same_name_is_bad_input(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    main(["shop", "add", "Acme", "--database-url", url])
    assert main(["shop", "add", "Acme", "--database-url", url]) == 2
    assert "already exists" in capsys.readouterr().err


def test_serve_options():
    args = build_parser().parse_args(["serve", "--port", "8123", "--threads", "4", "--no-resolve"])
    assert (args.port, args.threads, args.no_resolve, args.host) == (8123, 4, True, "127.0.0.1")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--port", "70000"])
