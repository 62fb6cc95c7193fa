"""Errors of the local supervisor; each names the process at fault and, if it has one, its log."""

from __future__ import annotations

from pathlib import Path

from openledger_kit.errors import FailedPrecondition, InvalidArgument, Unavailable

DOMAIN = "openledger.localnet"


class StartupFailed(Unavailable):
    """A process exited or did not become ready in time; everything started was stopped."""

    default_reason = "PROCESS_NOT_READY"

    def __init__(self, process: str, message: str, *, log: Path | None = None) -> None:
        where = f"; see {log}" if log is not None else ""
        super().__init__(
            f"{process}: {message}{where}",
            domain=DOMAIN,
            metadata={"process": process, **({"log": str(log)} if log is not None else {})},
        )
        self.process = process
        self.log = log


class ProcessExited(Unavailable):
    """A process exited on its own after the platform was ready; the others were stopped."""

    default_reason = "PROCESS_EXITED"

    def __init__(self, process: str, returncode: int | None, *, log: Path | None = None) -> None:
        where = f"; see {log}" if log is not None else ""
        super().__init__(
            f"{process} exited unexpectedly (rc={returncode}){where}",
            domain=DOMAIN,
            metadata={"process": process, "returncode": str(returncode)},
        )
        self.process = process
        self.returncode = returncode
        self.log = log


class InvalidPlan(InvalidArgument):
    """The process specs contradict each other (duplicate name, unknown or cyclic dependency)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message, reason="INVALID_PROCESS_PLAN", domain=DOMAIN)


class AlreadyRunning(FailedPrecondition):
    """Another supervisor holds the run directory (two would share state files)."""

    default_reason = "ALREADY_RUNNING"

    def __init__(self, run_dir: Path, pid: int | None) -> None:
        super().__init__(
            f"a supervisor (pid {pid}) already runs in {run_dir}: use `openledger down` first",
            domain=DOMAIN,
            metadata={"run_dir": str(run_dir), "pid": str(pid)},
        )
        self.pid = pid


class NotRunning(FailedPrecondition):
    """Nothing runs in the run directory (no ready platform, or no supervisor)."""

    default_reason = "NOT_RUNNING"

    def __init__(self, run_dir: Path, detail: str = "") -> None:
        super().__init__(
            f"no platform is running in {run_dir}" + (f": {detail}" if detail else ""),
            domain=DOMAIN,
            metadata={"run_dir": str(run_dir)},
        )


class StopFailed(Unavailable):
    """A supervisor did not stop within its deadline after SIGTERM."""

    default_reason = "STOP_FAILED"

    def __init__(self, pid: int, waited: float) -> None:
        super().__init__(
            f"supervisor pid {pid} still running {waited:g}s after SIGTERM",
            domain=DOMAIN,
            metadata={"pid": str(pid)},
        )
        self.pid = pid
