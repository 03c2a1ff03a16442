"""``lastmile serve --workers N``: N server processes on one listening socket, one solver cluster.

waitress serves one process with threads; OR-Tools, the insertion checks and JSON all want the
interpreter lock, so one process tops out at one core. With ``--workers N`` this process binds
the port once, starts the solver cluster (a Dask LocalCluster) and starts N copies of
``lastmile serve`` that each take the listening socket (the kernel hands every new connection
to one of them) and the cluster's address. The processes share nothing but the database: the
routability of a slot is decided under the date's lock in the database
(:mod:`scheduling.shared_routes`), API keys are checked there, sign-in throttling counts there.
Only the first worker runs the daily retention; every worker sweeps holds and sends webhooks
(both are safe to run in parallel: they claim rows).

Why not gunicorn: it would fork processes after this one has started threads (the Dask client)
and it is one more server to learn; waitress takes a pre-bound socket (``sockets=``), so the
processes are plain fresh interpreters started with :mod:`subprocess`, the same on every POSIX
system. Every worker must sign sessions with the same key: ``LASTMILE_SECRET_KEY`` is required.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from typing import Sequence

WORKER_FD_ENV = "LASTMILE_LISTEN_FD"


def listening_socket(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A TCP socket bound to ``host:port`` and listening, inheritable by child processes."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def inherited_socket() -> socket.socket | None:
    """The listening socket a ``--workers`` parent handed this process, if any."""
    fd = os.environ.get(WORKER_FD_ENV)
    if not fd:
        return None
    return socket.socket(fileno=int(fd))


def worker_argv(argv: Sequence[str], scheduler: str, index: int) -> list[str]:
    """This process's ``serve`` arguments for worker ``index``: no ``--workers``, the cluster's address."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("--workers", "--scheduler"):
            skip = True
            continue
        if a.startswith(("--workers=", "--scheduler=")):
            continue
        out.append(a)
    return [sys.executable, "-m", "webui.cli", *out, "--scheduler", scheduler, "--worker-index", str(index)]


def run_workers(argv: Sequence[str], host: str, port: int, workers: int, processes: int, threads: int) -> int:
    """Bind, start the solver cluster and ``workers`` server processes; wait until one of them
    exits or this process is told to stop, then stop them all. The exit status of the first to end."""
    from webui.jobs import SolverCluster

    sock = listening_socket(host, port)
    cluster = SolverCluster("local", processes=processes, threads=threads)
    cluster.start()
    address = cluster.client.scheduler_info()["address"]
    env = {**os.environ, WORKER_FD_ENV: str(sock.fileno())}
    children = [subprocess.Popen(worker_argv(argv, address, i), env=env, pass_fds=(sock.fileno(),)) for i in range(workers)]
    print(f"lastmile serving on http://{host}:{port} with {workers} processes (solver cluster {address})", flush=True)
    stopping = {"now": False}

    def stop(signum, frame) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    try:
        while not stopping["now"]:
            ended = [c for c in children if c.poll() is not None]
            if ended:
                status = ended[0].returncode or 0
                break
            time.sleep(0.2)
    finally:
        for c in children:
            if c.poll() is None:
                c.terminate()
        for c in children:
            try:
                c.wait(20)
            except subprocess.TimeoutExpired:
                c.kill()
        cluster.close()
        sock.close()
    return status
