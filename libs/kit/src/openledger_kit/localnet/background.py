"""A supervisor in the background: ``openledger up --detach``, ``openledger down`` and the demo.

The background supervisor is the same ``openledger up`` in a child process with its own session
(so a Ctrl-C meant for the caller does not reach it), its output in ``.run/logs/supervisor.log``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

from openledger_kit.localnet.endpoints import Endpoints, remove_endpoints
from openledger_kit.localnet.errors import NotRunning, StartupFailed, StopFailed
from openledger_kit.localnet.rundir import RunDir
from openledger_kit.localnet.supervisor import honcho_kill_wait

SUPERVISOR_LOG = "supervisor"


def spawn_supervisor(run_dir: RunDir, args: Sequence[str] = ()) -> subprocess.Popen[bytes]:
    """Start ``openledger up`` for ``run_dir`` in the background; it keeps running after we exit."""
    run_dir.prepare()
    command = [sys.executable, "-m", "openledger_kit.cli", "up", "--run-dir", str(run_dir.path)]
    with run_dir.log_file(SUPERVISOR_LOG).open("ab") as log:
        return subprocess.Popen(
            [*command, *args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


STARTUP_GUARD_SECONDS = 1800.0
"""How long to wait for a supervisor that neither gets ready nor exits. The supervisor enforces
each process's own ready timeout (a service may need minutes on its first start, e.g. to
convert a model) and exits when one is missed, so this only guards against a hung supervisor."""


def wait_until_ready(
    run_dir: RunDir, proc: subprocess.Popen[bytes], timeout: float = STARTUP_GUARD_SECONDS
) -> Endpoints:
    """The endpoints ``proc`` publishes once ready; ``StartupFailed`` if it exits or times out
    (then it has been stopped)."""
    log = run_dir.log_file(SUPERVISOR_LOG)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise StartupFailed("supervisor", f"exited with code {proc.returncode}", log=log)
        if run_dir.endpoints_file.exists():
            endpoints = Endpoints.load(run_dir)
            if endpoints.supervisor_pid == proc.pid:
                return endpoints
        if time.monotonic() > deadline:
            stop_child(proc)
            raise StartupFailed("supervisor", f"not ready within {timeout:g}s", log=log)
        time.sleep(0.1)


def stop_child(proc: subprocess.Popen[bytes], timeout: float | None = None) -> int:
    """Stop a supervisor we spawned (SIGTERM, the same as ``kill``); its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout or honcho_kill_wait() + 15)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def stop_supervisor(run_dir: RunDir, timeout: float | None = None) -> int:
    """Stop the supervisor holding ``run_dir`` (SIGTERM) and wait until it and every process it
    started are gone (the run-directory lock is free). Its PID; ``NotRunning`` if none runs."""
    pid = run_dir.supervisor_pid()
    if pid is None:
        raise NotRunning(run_dir.path, "no supervisor holds it")
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        _stop_orphans(run_dir)
    waited = timeout or honcho_kill_wait() + 15
    deadline = time.monotonic() + waited
    while run_dir.supervisor_pid() is not None:
        if time.monotonic() > deadline:
            raise StopFailed(pid, waited)
        time.sleep(0.1)
    remove_endpoints(run_dir)  # left behind when the supervisor was killed outright
    return pid


def _stop_orphans(run_dir: RunDir) -> None:
    """The supervisor was killed outright but the lock is still held: by honcho's forked
    helpers, each waiting on the process it spawned. While a helper waits, its child's PID
    cannot be reused, so the recorded process groups are still ours to signal."""
    try:
        endpoints = Endpoints.load(run_dir)
    except NotRunning:
        return
    for record in endpoints.processes:
        if record.oneshot:  # finished long ago: its PID may belong to someone else now
            continue
        try:
            os.killpg(record.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
