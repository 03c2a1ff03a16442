"""Shared fixtures: an isolated cache directory and the Gothenburg network, built once per session."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory):
    """Point LASTMILE_CACHE_DIR at a fresh directory so tests never reuse a user's cache."""
    path = tmp_path_factory.mktemp("lastmile-cache")
    old = os.environ.get("LASTMILE_CACHE_DIR")
    os.environ["LASTMILE_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("LASTMILE_CACHE_DIR", None)
    else:
        os.environ["LASTMILE_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def gbg(isolated_cache):
    from geo import network

    # Built here, into the isolated cache, even when a test elsewhere loaded it in this process first.
    network._MEMO.clear()
    return network.load_network("gothenburg")


# Well-known central Gothenburg places (lat, lon).
CENTRAL_STATION = (57.7089, 11.9746)
JARNTORGET = (57.6995, 11.9531)
LINNEPLATSEN = (57.6900, 11.9520)
