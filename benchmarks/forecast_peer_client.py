"""Run the statsforecast peer (AutoETS, AutoARIMA, MSTL) from the main env.

statsforecast pins pandas < 3, so it lives in an env of its own, ``.venv-forecast-peer``
(``bash benchmarks/peers/setup_forecast_peer.sh``), and ``benchmarks/peers/forecast_peer.py``
runs there. This module, for the main env, imports only pandas, numpy and the standard
library: it writes the series and origins to a temporary folder, runs the peer's python on the
script and reads its rows back.

    from benchmarks.forecast_peer_client import peer_available, peer_forecasts
    rows = peer_forecasts({"Z-1-1": y1, "city": y}, origins, horizon=14, level=0.8)

``FORECAST_PEER_PYTHON`` overrides the peer's interpreter (default
``<repo>/.venv-forecast-peer/bin/python``).
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
PEER_SCRIPT = REPO / "benchmarks" / "peers" / "forecast_peer.py"
SETUP_COMMAND = "bash benchmarks/peers/setup_forecast_peer.sh"
MODELS = ("AutoETS", "AutoARIMA", "MSTL")
COLUMNS = ["model", "zone", "origin", "date", "point", "lower", "upper"]


def peer_python() -> Path:
    """The peer env's interpreter (``FORECAST_PEER_PYTHON`` or ``.venv-forecast-peer/bin/python``)."""
    override = os.environ.get("FORECAST_PEER_PYTHON")
    return Path(override) if override else REPO / ".venv-forecast-peer" / "bin" / "python"


def peer_available() -> bool:
    """Whether the peer env exists and imports statsforecast."""
    py = peer_python()
    if not py.exists():
        return False
    try:
        done = subprocess.run([str(py), "-c", "import statsforecast"], capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _require_peer() -> Path:
    py = peer_python()
    if not py.exists():
        raise RuntimeError(f"the forecast peer env is missing ({py} not found); set it up with "
                           f"`{SETUP_COMMAND}` (run from {REPO})")
    if not peer_available():
        raise RuntimeError(f"the forecast peer env {py} cannot import statsforecast; set it up again with "
                           f"`FORCE=1 {SETUP_COMMAND}` (run from {REPO})")
    return py


def _long_frame(series: Mapping[str, pd.Series]) -> pd.DataFrame:
    parts = []
    for zone, y in series.items():
        if not isinstance(y.index, pd.DatetimeIndex):
            raise ValueError(f"series {zone!r}: the index must be a daily DatetimeIndex")
        y = y.sort_index()
        if y.isna().any():
            raise ValueError(f"series {zone!r} has missing values")
        if len(y) > 1 and (y.index.to_series().diff().dropna() != pd.Timedelta(days=1)).any():
            raise ValueError(f"series {zone!r} is not one row per day without gaps")
        parts.append(pd.DataFrame({"date": y.index.strftime("%Y-%m-%d"), "zone": str(zone),
                                   "orders": y.to_numpy(dtype=float)}))
    if not parts:
        raise ValueError("no series")
    return pd.concat(parts, ignore_index=True)


def peer_forecasts(
    series: Mapping[str, pd.Series],
    origins: Sequence[dt.date],
    horizon: int,
    level: float = 0.8,
    models: Sequence[str] = MODELS,
    *,
    n_jobs: int = 2,
    echo: bool = True,
) -> pd.DataFrame:
    """Peer forecasts for every series, origin and model, fitted on all history up to the origin.

    Returns one row per model, zone, origin and forecast day (origin + 1 .. origin + horizon):
    columns model, zone, origin (``datetime.date``), date (``pd.Timestamp``), point, lower and
    upper (the central ``level`` interval). The peer's progress goes to stderr when ``echo``.
    Raises RuntimeError if the peer env is missing or the peer fails.
    """
    py = _require_peer()
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ValueError(f"unknown peer models {unknown}; choose from {', '.join(MODELS)}")
    with tempfile.TemporaryDirectory(prefix="forecast-peer-") as tmp:
        tmp_path = Path(tmp)
        series_csv, origins_json, out_csv = tmp_path / "series.csv", tmp_path / "origins.json", tmp_path / "out.csv"
        _long_frame(series).to_csv(series_csv, index=False)
        origins_json.write_text(json.dumps([pd.Timestamp(o).date().isoformat() for o in origins]))
        cmd = [str(py), str(PEER_SCRIPT), "--series", str(series_csv), "--origins", str(origins_json),
               "--horizon", str(int(horizon)), "--level", repr(float(level)), "--out", str(out_csv),
               "--models", ",".join(models), "--n-jobs", str(int(n_jobs))]
        tail: collections.deque[str] = collections.deque(maxlen=30)
        # The peer's own env: not the main env's PYTHONPATH or virtual env.
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
                              cwd=str(REPO)) as proc:
            assert proc.stderr is not None
            for line in proc.stderr:
                tail.append(line)
                if echo:
                    sys.stderr.write(line)
                    sys.stderr.flush()
        if proc.returncode != 0:
            raise RuntimeError(f"forecast peer failed (exit {proc.returncode}): {' '.join(cmd)}\n" + "".join(tail))
        rows = pd.read_csv(out_csv, dtype={"model": str, "zone": str})
    rows["origin"] = pd.to_datetime(rows["origin"], format="%Y-%m-%d").dt.date
    rows["date"] = pd.to_datetime(rows["date"], format="%Y-%m-%d")
    return rows[COLUMNS].reset_index(drop=True)
