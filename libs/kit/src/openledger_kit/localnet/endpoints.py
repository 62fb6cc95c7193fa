"""``.run/endpoints.json`` and ``.run/env``: where the running platform can be reached.

Written by the supervisor once every process is ready, removed when it stops; read by
``openledger status``, the demo and anything else that needs the addresses.
"""

from __future__ import annotations

import shlex
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from openledger_kit.localnet.checks import ReadinessCheck
from openledger_kit.localnet.errors import NotRunning
from openledger_kit.localnet.rundir import RunDir


class ProcessRecord(BaseModel):
    """One process: PID, command, log, readiness check and what it exports.

    A one-shot task (``oneshot``) has already exited with ``returncode`` (0: the platform was
    published only after it succeeded); its ``pid`` is history and may belong to another
    process by now, so never signal it.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    pid: int
    command: list[str]
    log: Path
    check: ReadinessCheck | None = None
    exports: dict[str, str] = Field(default_factory=dict)
    description: str = ""
    oneshot: bool = False
    returncode: int | None = None


class Endpoints(BaseModel):
    """The ready platform: every process in start order, and the merged exported variables."""

    model_config = ConfigDict(frozen=True)

    format: int = 1
    run_dir: Path
    supervisor_pid: int
    started_at: datetime
    env: dict[str, str]
    processes: list[ProcessRecord]

    def process(self, name: str) -> ProcessRecord:
        """The record of process ``name``; ``KeyError`` when there is none."""
        for record in self.processes:
            if record.name == name:
                return record
        raise KeyError(name)

    def env_lines(self) -> str:
        """The ``export NAME=value`` lines of ``.run/env``."""
        lines = ["# Written by `openledger up` while the platform runs: source it in a shell."]
        lines += [f"export {key}={shlex.quote(value)}" for key, value in self.env.items()]
        return "\n".join(lines) + "\n"

    def write(self, run_dir: RunDir) -> None:
        """Write ``env``, then ``endpoints.json`` (whose presence says ready), each atomically."""
        run_dir.write_atomic(run_dir.env_file, self.env_lines())
        run_dir.write_atomic(run_dir.endpoints_file, self.model_dump_json(indent=2) + "\n")

    @classmethod
    def load(cls, run_dir: RunDir) -> Endpoints:
        """The endpoints of the platform running in ``run_dir``; ``NotRunning`` when none is."""
        try:
            text = run_dir.endpoints_file.read_text()
        except FileNotFoundError:
            raise NotRunning(run_dir.path, f"{run_dir.endpoints_file} does not exist") from None
        return cls.model_validate_json(text)


def remove_endpoints(run_dir: RunDir) -> None:
    """Forget the endpoints of a stopped platform so nobody dials its dead ports."""
    run_dir.endpoints_file.unlink(missing_ok=True)
    run_dir.env_file.unlink(missing_ok=True)
