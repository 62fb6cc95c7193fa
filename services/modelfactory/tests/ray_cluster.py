"""One local Ray head for the whole test run (``ray_address``): starting Ray costs seconds, so
tests and the drivers they launch connect to this one instead of starting their own."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from openledger_kit.localnet.processes import free_port, wait_until

RAY_CPUS = 4


def _gcs_listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def ray_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``host:port`` of a Ray head started for this session and stopped at its end.

    ``ray start --block`` keeps the head in the foreground, so ending that one process stops
    exactly this head (``ray stop`` would stop every Ray of the user on the machine)."""
    # Ray's socket paths must stay short: a pytest temp dir may be too deep for AF_UNIX.
    temp_dir = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))
    log_file = tmp_path_factory.mktemp("ray") / "head.log"
    port = free_port()
    with log_file.open("wb") as log:
        head = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("ray")),
                "start",
                "--head",
                "--block",
                f"--port={port}",
                f"--num-cpus={RAY_CPUS}",
                "--include-dashboard=false",
                "--disable-usage-stats",
                f"--temp-dir={temp_dir}",
            ],
            # Without token auth: a head started where ~/.ray/auth_token exists would demand
            # the token from every driver, which clients do not send unless configured to.
            env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        wait_until(lambda: _gcs_listening(port), 60, "ray head", head)
        yield f"127.0.0.1:{port}"
    finally:
        head.send_signal(signal.SIGTERM)
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()
            head.wait()
        shutil.rmtree(temp_dir, ignore_errors=True)
