"""``openledger demo``: bring the platform up in the background, run the demo steps, stop it."""

from __future__ import annotations

import subprocess
import sys

import typer

from openledger_kit.cli.platform import RunDirOption, fail
from openledger_kit.errors import OpenLedgerError
from openledger_kit.localnet.background import (
    SUPERVISOR_LOG,
    spawn_supervisor,
    stop_child,
    wait_until_ready,
)
from openledger_kit.localnet.demo import DemoContext, demo_steps, run_steps, services_not_in_demo
from openledger_kit.localnet.endpoints import Endpoints
from openledger_kit.localnet.rundir import RunDir


def demo(run_dir: RunDirOption = None) -> None:
    """Run the end-to-end demo and print what happened.

    Uses the platform already running in the run directory if there is one; otherwise starts
    it in the background and stops it afterwards.
    """
    where = RunDir.resolve(run_dir)
    try:
        steps = demo_steps()
    except OpenLedgerError as exc:
        raise fail(exc) from None
    typer.echo(f"OpenLedger demo: {len(steps)} step(s), run directory {where.path}")

    proc: subprocess.Popen[bytes] | None = None
    try:
        if (pid := where.supervisor_pid()) is not None:
            endpoints = Endpoints.load(where)
            typer.echo(f"using the platform already running (supervisor pid {pid})")
        else:
            typer.echo(f"starting the platform (log: {where.log_file(SUPERVISOR_LOG)}) ...")
            proc = spawn_supervisor(where)
            endpoints = wait_until_ready(where, proc)
    except OpenLedgerError as exc:
        raise fail(exc, log=getattr(exc, "log", None)) from None
    names = ", ".join(record.name for record in endpoints.processes)
    typer.echo(f"platform ready: {names}")

    stopped_cleanly = True
    try:
        outcomes = run_steps(steps, DemoContext(endpoints=endpoints, out=sys.stdout))
    finally:
        if proc is not None:
            typer.echo("\nstopping the platform ...")
            returncode = stop_child(proc)
            stopped_cleanly = returncode == 0
            typer.echo("stopped" if stopped_cleanly else f"supervisor exited with {returncode}")

    missing = services_not_in_demo(steps)
    if missing:
        typer.echo(
            f"\nNot yet part of the demo: {', '.join(missing)}. These services arrive with later "
            "issues; each adds its process to `openledger up` and its steps to this demo."
        )
    passed = sum(outcome.ok for outcome in outcomes)
    typer.echo(
        f"\ndemo {'finished' if passed == len(steps) else 'FAILED'}: "
        f"{passed} of {len(steps)} step(s) passed"
    )
    if passed != len(steps) or not stopped_cleanly:
        raise typer.Exit(1)
