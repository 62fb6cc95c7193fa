"""``openledger up``, ``down`` and ``status``: the local platform's lifecycle."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from openledger_kit.errors import OpenLedgerError
from openledger_kit.localnet.background import spawn_supervisor, stop_supervisor, wait_until_ready
from openledger_kit.localnet.components import build_plan
from openledger_kit.localnet.endpoints import Endpoints, ProcessRecord
from openledger_kit.localnet.errors import AlreadyRunning, NotRunning
from openledger_kit.localnet.rundir import RUN_DIR_ENV, RunDir
from openledger_kit.localnet.spec import LocalnetContext
from openledger_kit.localnet.supervisor import DEFAULT_READY_TIMEOUT, Supervisor, log_tail

RunDirOption = Annotated[
    Path | None,
    typer.Option(
        "--run-dir",
        envvar=RUN_DIR_ENV,
        help="state, logs and endpoints (default: .run/ at the repository root)",
        show_default=False,
    ),
]


def fail(error: Exception, *, log: Path | None = None) -> typer.Exit:
    """Print ``error`` (and the tail of ``log``) on stderr; the ``Exit(1)`` to raise."""
    typer.echo(f"error: {error}", err=True)
    for line in log_tail(log) if log is not None else []:
        typer.echo(f"    {line}", err=True)
    return typer.Exit(1)


def up(
    run_dir: RunDirOption = None,
    detach: Annotated[
        bool, typer.Option("--detach", "-d", help="start in the background and return once ready")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="also stream Redis and anvil output")
    ] = False,
    ready_timeout: Annotated[
        float, typer.Option(help="seconds each process has to become ready")
    ] = DEFAULT_READY_TIMEOUT,
) -> None:
    """Start Redis, the L1 and L2 anvils and every registered service; run until Ctrl-C."""
    where = RunDir.resolve(run_dir)
    if detach:
        if (pid := where.supervisor_pid()) is not None:
            raise fail(AlreadyRunning(where.path, pid))
        args = ["--ready-timeout", str(ready_timeout)] + (["--verbose"] if verbose else [])
        proc = spawn_supervisor(where, args)
        try:
            endpoints = wait_until_ready(where, proc)
        except OpenLedgerError as exc:
            raise fail(exc, log=getattr(exc, "log", None)) from None
        typer.echo(f"platform running in the background (supervisor pid {proc.pid})")
        _print_endpoints(endpoints, where)
        typer.echo("stop it with: openledger down")
        return
    try:
        plan = build_plan(LocalnetContext(where))
        Supervisor(plan, where, verbose=verbose, ready_timeout=ready_timeout).run()
    except OpenLedgerError as exc:
        # The supervisor already printed the tail of the failing process's log.
        raise fail(exc) from None
    typer.echo("stopped")


def down(run_dir: RunDirOption = None) -> None:
    """Stop the platform that `openledger up` runs in the run directory."""
    where = RunDir.resolve(run_dir)
    try:
        pid = stop_supervisor(where)
    except NotRunning as exc:
        typer.echo(str(exc))
        return
    except OpenLedgerError as exc:
        raise fail(exc) from None
    typer.echo(f"stopped the platform (supervisor pid {pid})")


def status(run_dir: RunDirOption = None) -> None:
    """Check every process of the running platform live (one-shot tasks show how they exited);
    exit 1 if any is down."""
    where = RunDir.resolve(run_dir)
    try:
        endpoints = Endpoints.load(where)
    except NotRunning as exc:
        pid = where.supervisor_pid()
        if pid is not None:
            typer.echo(f"starting (supervisor pid {pid}), not ready yet")
        else:
            typer.echo(str(exc))
        raise typer.Exit(1) from None
    healthy = _pid_alive(endpoints.supervisor_pid)
    typer.echo(
        f"platform in {endpoints.run_dir}, up since {endpoints.started_at:%Y-%m-%d %H:%M:%S} UTC;"
        f" supervisor pid {endpoints.supervisor_pid}{'' if healthy else ' (gone)'}"
    )
    width = max((len(record.name) for record in endpoints.processes), default=0)
    for record in endpoints.processes:
        ok, state, shown, what = _task_row(record) if record.oneshot else _process_row(record)
        healthy &= ok
        typer.echo(f"  {record.name:<{width}}  {state:<4}  {shown:<12} {what}")
    if not healthy:
        raise typer.Exit(1)


def _process_row(record: ProcessRecord) -> tuple[bool, str, str, str]:
    """A running process, checked live: ok, state, PID, what its check says."""
    alive = _pid_alive(record.pid)
    if record.check is None:
        ok, what = alive, "no readiness check"
    else:
        probe = record.check.probe()
        ok, what = alive and probe.ok, f"{record.check.describe()}: {probe.detail}"
    return ok, "ok" if ok else "DOWN", f"pid {record.pid}" + ("" if alive else " (gone)"), what


def _task_row(record: ProcessRecord) -> tuple[bool, str, str, str]:
    """A one-shot task, which has exited by design (its PID may be another's by now)."""
    ok = record.returncode == 0
    what = "one-shot task " + ("completed" if ok else "failed")
    return ok, "done" if ok else "FAIL", f"exit {record.returncode}", what


def _print_endpoints(endpoints: Endpoints, where: RunDir) -> None:
    for key, value in endpoints.env.items():
        typer.echo(f"  {key}={value}")
    typer.echo(f"endpoints: {where.endpoints_file}; shell: source {where.env_file}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
