"""On-disk cache of built graphs and matrices (``.npz`` files, atomic writes, no pickles).

The directory is ``$LASTMILE_CACHE_DIR`` or ``~/.cache/lastmile``. Keys are content hashes, so a
changed source file or node list simply misses; stale files can be deleted at any time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

CACHE_ENV = "LASTMILE_CACHE_DIR"


def cache_dir() -> Path:
    """The cache directory (created on demand)."""
    root = os.environ.get(CACHE_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "lastmile")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_sha1(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-1 hex digest of a file's bytes."""
    digest = hashlib.sha1()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def array_sha1(*arrays: np.ndarray, salt: str = "") -> str:
    """SHA-1 hex digest of arrays' dtypes, shapes and bytes (plus an optional salt string)."""
    digest = hashlib.sha1(salt.encode())
    for arr in arrays:
        arr = np.ascontiguousarray(arr)
        digest.update(f"{arr.dtype.str}{arr.shape}".encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def load_npz(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays stored at ``path``, or None if missing or unreadable (treated as a miss)."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError, KeyError, EOFError):
        return None


def save_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` atomically (temp file + rename), so readers never see halves."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
