"""What the supervisor runs: one ``ProcessSpec`` per process, built by components from a context
that hands out free loopback ports, and put in dependency order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openledger_kit.localnet.checks import ReadinessCheck
from openledger_kit.localnet.errors import InvalidPlan
from openledger_kit.localnet.processes import free_port
from openledger_kit.localnet.rundir import RunDir

TASK_EXPORTS_ENV = "OL_TASK_EXPORTS"
"""Names the file where a one-shot task may write ``KEY=VALUE`` lines to export."""

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
# honcho prints its own lines under this name.
_RESERVED_NAMES = frozenset({"system"})


@dataclass(frozen=True)
class ProcessSpec:
    """One supervised process.

    ``command`` is an argv list (run with ``exec``, so the recorded PID is the process itself).
    ``ready`` is probed until it passes; None means ready once started. A process starts only
    after every process in ``depends_on`` is ready. ``exports`` (e.g. ``OL_REDIS_URL``) go into
    ``.run/endpoints.json`` and ``.run/env`` and into the environment of every process; ``env``
    goes to this process only. ``console=False`` keeps the output in the log file alone.

    ``oneshot=True`` makes it a task that runs to completion, like a Kubernetes init container:
    it is ready when it exits 0 (``ready_timeout`` bounds its run), a non-zero exit fails
    startup, and it is never restarted. It takes no ``ready`` check. A task may publish values
    found only at run time by writing ``KEY=VALUE`` lines to the file named in its
    ``$OL_TASK_EXPORTS``: they join ``exports`` and reach every process started after it.
    """

    name: str
    command: Sequence[str]
    ready: ReadinessCheck | None = None
    depends_on: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    exports: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    console: bool = True
    ready_timeout: float | None = None
    description: str = ""
    oneshot: bool = False


class LocalnetContext:
    """What components build their specs from: the run directory and named free ports.

    ``port(key)`` returns the same port for the same key, so a component can learn the address of
    another (``ctx.port("sequencer")``) whichever of the two is built first.
    """

    def __init__(self, run_dir: RunDir, *, host: str = "127.0.0.1") -> None:
        self.run_dir = run_dir
        self.host = host
        self._ports: dict[str, int] = {}

    def port(self, key: str) -> int:
        """A free loopback port reserved for ``key`` in this run."""
        if key not in self._ports:
            taken = set(self._ports.values())
            port = free_port(self.host)
            while port in taken:
                port = free_port(self.host)
            self._ports[key] = port
        return self._ports[key]

    @property
    def ports(self) -> Mapping[str, int]:
        return dict(self._ports)


Component = Callable[[LocalnetContext], "ProcessSpec | Iterable[ProcessSpec]"]
"""Builds the spec(s) of one part of the platform; registered in the ``openledger.localnet``
entry-point group (or built in, for the infrastructure)."""


def order_specs(specs: Sequence[ProcessSpec]) -> list[ProcessSpec]:
    """Validate ``specs`` and return them in start order (dependencies first, else as given)."""
    by_name: dict[str, ProcessSpec] = {}
    exported: dict[str, str] = {}
    for spec in specs:
        if not _NAME.fullmatch(spec.name) or spec.name in _RESERVED_NAMES:
            raise InvalidPlan(
                f"{spec.name}.name", "use lowercase letters, digits, '-' and '_' (not 'system')"
            )
        if spec.name in by_name:
            raise InvalidPlan(f"{spec.name}.name", "two processes have this name")
        if not spec.command:
            raise InvalidPlan(f"{spec.name}.command", "empty command")
        if spec.oneshot and spec.ready is not None:
            raise InvalidPlan(
                f"{spec.name}.ready", "a one-shot task is ready when it exits 0: drop the check"
            )
        for key in spec.exports:
            if key in exported:
                raise InvalidPlan(
                    f"{spec.name}.exports", f"{key} is also exported by {exported[key]}"
                )
            exported[key] = spec.name
        by_name[spec.name] = spec
    for spec in specs:
        for dep in spec.depends_on:
            if dep not in by_name:
                raise InvalidPlan(f"{spec.name}.depends_on", f"no process named {dep!r}")

    ordered: list[ProcessSpec] = []
    placed: set[str] = set()
    remaining = list(specs)
    while remaining:
        batch = [s for s in remaining if all(d in placed for d in s.depends_on)]
        if not batch:
            names = ", ".join(s.name for s in remaining)
            raise InvalidPlan("depends_on", f"dependency cycle among {names}")
        ordered += batch
        placed.update(s.name for s in batch)
        remaining = [s for s in remaining if s.name not in placed]
    return ordered
