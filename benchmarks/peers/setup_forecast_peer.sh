#!/usr/bin/env bash
# Creates the forecast peer's own virtual env, /work/main/.venv-forecast-peer (next to the
# product's .venv), with statsforecast and the pandas<3 / numpy it pins. Only the benchmark
# peer (benchmarks/peers/forecast_peer.py) runs in it; the product's dependencies are untouched.
#
#     bash benchmarks/peers/setup_forecast_peer.sh
#
# Idempotent: an env that already imports statsforecast is left as it is (FORCE=1 rebuilds it).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${FORECAST_PEER_VENV:-$repo/.venv-forecast-peer}"
py="$venv/bin/python"

if [[ "${FORCE:-0}" == "1" && -d "$venv" ]]; then
    echo "FORCE=1: removing $venv"
    rm -rf "$venv"
fi

if [[ -x "$py" ]] && "$py" -c "import statsforecast" 2>/dev/null; then
    echo "forecast peer env already set up: $venv"
else
    if [[ ! -x "$py" ]]; then
        echo "creating virtual env $venv"
        python3 -m venv "$venv"
    else
        echo "virtual env $venv exists but lacks statsforecast"
    fi
    echo "installing statsforecast (and the pandas<3 / numpy it wants) into $venv"
    "$py" -m pip install --quiet --upgrade pip
    "$py" -m pip install --quiet statsforecast
fi

"$py" - <<'PY'
import sys
import numpy, pandas, statsforecast
print(f"python {sys.version.split()[0]}: statsforecast {statsforecast.__version__}, "
      f"pandas {pandas.__version__}, numpy {numpy.__version__}")
PY
echo "run the peer with: $py benchmarks/peers/forecast_peer.py --help"
