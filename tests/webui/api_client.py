"""An API test client: the app on a fresh database with a fixed clock, and two shops with keys."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from webui.api.auth import create_shop
from webui.app import create_app

NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.timezone.utc)  # Monday 09:00 in Gothenburg
DATE = "2026-11-25"
CENTRE = {"lat": 57.7089, "lon": 11.9746}


@dataclass
class Api:
    app: object
    client: object
    key: str
    other_key: str

    def headers(self, key: str | None = None, **extra) -> dict:
        return {"X-API-Key": key or self.key, **extra}

    def get(self, path, key=None, **kw):
        return self.client.get(path, headers=self.headers(key), **kw)

    def post(self, path, body=None, key=None, headers=None, **kw):
        return self.client.post(path, json=body, headers={**self.headers(key), **(headers or {})}, **kw)

    def booking_rows(self) -> int:
        from scheduling.storage.models import Booking

        with self.app.extensions["lastmile.db"].session() as s:
            return s.scalar(select(func.count()).select_from(Booking))


def make_api(database_url: str, **config) -> Api:
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            "BOOKING_CLOCK": lambda: NOW,
            "BOOKING_RESOLVE": False,
            "SOLVER_CLUSTER": "inline",
            **config,
        }
    )
    db = app.extensions["lastmile.db"]
    _, key = create_shop(db, "Shop A")
    _, other = create_shop(db, "Shop B")
    return Api(app, app.test_client(), key, other)


def booking_body(**change) -> dict:
    return {"customer_id": "c1", "date": DATE, "slot": "home:18:00-20:00", **CENTRE, **change}
