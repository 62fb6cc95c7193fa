"""The local supervisor behind ``openledger up``: honcho's process manager plus what it lacks.

honcho's ``Manager`` runs each process in its own session, multiplexes their output with a
prefix, traps SIGINT/SIGTERM, terminates the rest when any process exits and kills what is left
after ``honcho.manager.KILL_WAIT`` (5 s). It starts everything at once, though. This module adds:
dependency order with readiness checks (a process starts once its dependencies are ready),
one-shot tasks (ready once they exit 0; their exit does not stop the others), a clear error
naming the process and its log when one fails to start, per-process log files,
``.run/endpoints.json`` + ``.run/env`` once all is ready, and a lock on the run directory.

honcho 2.0 offers no hooks, so ``_OrderedManager`` overrides four of its private methods
(``_start``, ``_killall``, ``_any_stopped``, ``_all_stopped``) and shares its bookkeeping
(``_processes``, ``events``); ``honcho>=2,<3`` is pinned for that reason.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import re
import shlex
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import IO, Any, TextIO

from honcho.manager import Manager
from honcho.printer import Printer

from openledger_kit.localnet.endpoints import Endpoints, ProcessRecord, remove_endpoints
from openledger_kit.localnet.errors import ProcessExited, StartupFailed
from openledger_kit.localnet.rundir import RUN_DIR_ENV, RunDir
from openledger_kit.localnet.spec import TASK_EXPORTS_ENV, ProcessSpec, order_specs

DEFAULT_READY_TIMEOUT = 30.0
# A forked honcho helper reports the child's PID right after spawning it; this bounds the wait.
_SPAWN_TIMEOUT = 10.0
_PROBE_TIMEOUT = 1.0
_LOG_TAIL_LINES = 15
_ENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

OnReady = Callable[[Endpoints], None]


class Supervisor:
    """Runs ``specs`` in ``run_dir`` until stopped; see the module docstring.

    ``run()`` blocks and must be called from the main thread (it traps SIGINT and SIGTERM, and
    restores the previous handlers when it returns). It returns None after a requested stop
    (signal or ``stop()``), raises ``StartupFailed`` when a process fails to start or a
    one-shot task fails, and ``ProcessExited`` when a process exits by itself later; in every
    case every process it started has stopped by then. ``verbose`` also streams the output of
    processes whose spec says ``console=False`` (the infrastructure) to the console.
    """

    def __init__(
        self,
        specs: Sequence[ProcessSpec],
        run_dir: RunDir,
        *,
        console: TextIO | None = None,
        verbose: bool = False,
        ready_timeout: float = DEFAULT_READY_TIMEOUT,
    ) -> None:
        self.specs = order_specs(specs)
        self.run_dir = run_dir
        self._console = console if console is not None else sys.stdout
        self._verbose = verbose
        self._ready_timeout = ready_timeout
        self._manager: _OrderedManager | None = None

    @property
    def pids(self) -> Mapping[str, int]:
        """PID of every process the last ``run()`` started, by name."""
        return dict(self._manager.pids) if self._manager is not None else {}

    def stop(self) -> None:
        """Stop every process and make ``run()`` return; callable from ``on_ready``."""
        if self._manager is not None:
            self._manager.request_stop()

    def run(self, on_ready: OnReady | None = None) -> None:
        """Start every process in order, publish the endpoints, call ``on_ready(endpoints)``
        and keep running until a signal, ``stop()`` or a process exits."""
        run_dir = self.run_dir
        with run_dir.lock():
            remove_endpoints(run_dir)
            logs = {s.name: run_dir.log_file(s.name).open("ab", buffering=0) for s in self.specs}
            previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
            console = {s.name for s in self.specs if s.console or self._verbose}
            printer = _LogPrinter(self._console, logs, console)
            manager = _OrderedManager(self.specs, run_dir, printer, self._ready_timeout, on_ready)
            self._manager = manager
            try:
                manager.loop()
            finally:
                manager.reap()
                for sig, handler in previous.items():
                    if handler is not None:
                        signal.signal(sig, handler)
                remove_endpoints(run_dir)
                for file in logs.values():
                    file.close()
        if manager.error is not None:
            if isinstance(manager.error, StartupFailed) and manager.error.log is not None:
                _print_tail(self._console, manager.error.log)
            raise manager.error
        if manager.exited is not None:
            name, returncode = manager.exited
            log = run_dir.log_file(name)
            _print_tail(self._console, log)
            raise ProcessExited(name, returncode, log=log)


class _LogPrinter(Printer):  # type: ignore[misc]  # honcho ships no type hints
    """Appends each process's output to its log file; echoes it to the console only for
    processes in ``console``. honcho's own lines (name ``system``) always reach the console."""

    def __init__(self, output: TextIO, logs: Mapping[str, IO[bytes]], console: set[str]) -> None:
        super().__init__(output)
        self._logs = logs
        self._console = console

    def write(self, message: Any) -> None:
        log = self._logs.get(message.name)
        if log is not None:
            data = message.data
            log.write(data if isinstance(data, bytes) else str(data).encode())
            if message.name not in self._console:
                return
        super().write(message)

    def write_header(self, name: str, text: str) -> None:
        """A line of the supervisor's own in ``name``'s log (where a run starts)."""
        if (log := self._logs.get(name)) is not None:
            log.write(text.encode())


class _OrderedManager(Manager):  # type: ignore[misc]  # honcho ships no type hints
    """honcho's ``Manager`` with ordered, health-checked startup; ``loop()`` drives it as usual.

    honcho's bookkeeping: ``self._processes[name]`` is a dict with ``obj`` (its ``Process``),
    ``process`` (the forked helper that spawns and watches the child), then ``pid`` and
    ``returncode`` as the helper reports them on ``self.events``.
    """

    # honcho's attributes, typed for the overrides below.
    _processes: dict[str, dict[str, Any]]
    _terminating: bool
    returncode: int | None

    def __init__(
        self,
        specs: Sequence[ProcessSpec],
        run_dir: RunDir,
        printer: _LogPrinter,
        ready_timeout: float,
        on_ready: OnReady | None,
    ) -> None:
        super().__init__(printer=printer)
        self.specs = list(specs)
        self.run_dir = run_dir
        self.error: Exception | None = None
        self.exited: tuple[str, int | None] | None = None
        self.pids: dict[str, int] = {}
        self.task_exports: dict[str, dict[str, str]] = {}
        self._by_name = {spec.name: spec for spec in specs}
        self._stop_requested = False
        self._ready_timeout = ready_timeout
        self._on_ready = on_ready
        exports = {key: value for spec in specs for key, value in spec.exports.items()}
        self.shared_env = {RUN_DIR_ENV: str(run_dir.path), **exports}
        for spec in specs:
            # The environment is set at launch (_launch), once earlier tasks have exported.
            self.add_process(
                spec.name,
                # exec: the PID honcho records (and signals) is the process itself, not a shell.
                "exec " + shlex.join(spec.command),
                cwd=str(spec.cwd) if spec.cwd is not None else None,
            )

    # ------------------------------------------------------------------ public

    def request_stop(self) -> None:
        self._stop_requested = True
        self.terminate()

    def reap(self) -> None:
        """Collect the forked helpers so none is left as a zombie. After a normal ``loop()``
        every process has stopped; after an internal error, stop what survived the same way
        honcho does (SIGTERM, then SIGKILL after its grace period)."""
        survivors = [
            p for p in self._processes.values() if p.get("pid") and p.get("returncode") is None
        ]
        for p in survivors:
            self._procmgr.terminate(p["pid"])
        for p in self._processes.values():
            helper = p.get("process")
            if helper is None:
                continue
            # A helper exits once its child has exited and been reaped.
            helper.join(timeout=honcho_kill_wait())
            if helper.is_alive() and p.get("pid"):
                self._procmgr.kill(p["pid"])
                helper.join(timeout=5)
            if helper.is_alive():
                helper.kill()
                helper.join(timeout=5)

    # ------------------------------------------------------------------ honcho overrides

    def _start(self) -> None:
        # loop() has just trapped SIGINT/SIGTERM; note that a stop was asked for, then let
        # honcho's handler print it and terminate.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._wrap_handler(signal.getsignal(sig)))
        try:
            self._start_in_order()
            if not self._terminating:
                endpoints = self._publish()
                if self._on_ready is not None:
                    self._on_ready(endpoints)
        except Exception as exc:  # noqa: BLE001 - recorded, everything stopped, re-raised by run()
            self.error = exc
        if self.error is not None or self._terminating:
            self._forget_unstarted()
            self.terminate()

    def _killall(self, force: bool = False) -> None:
        # honcho assumes every process has a PID by now; during ordered startup some have none.
        started = {n: p for n, p in self._processes.items() if p.get("pid") is not None}
        saved, self._processes = self._processes, started
        try:
            super()._killall(force)
        finally:
            self._processes = saved

    def _any_stopped(self) -> bool:
        # honcho asks this right after handling each event and stops everything the first time
        # it is true: the process that stopped is the one that brought the platform down. A
        # task that completed is meant to have stopped.
        stopped = [
            (name, p["returncode"])
            for name, p in self._processes.items()
            if p.get("returncode") is not None and not self._completed(name)
        ]
        if stopped and self.exited is None and self.error is None and not self._stop_requested:
            self.exited = stopped[0]
        return bool(stopped)

    def _all_stopped(self) -> bool:
        # Completed tasks alone must not end the loop (a plan of tasks only runs until stopped);
        # any other way of stopping goes through terminate() first.
        return self._terminating and bool(super()._all_stopped())

    # ------------------------------------------------------------------ startup

    def _wrap_handler(self, honcho_handler: Any) -> Callable[[int, FrameType | None], None]:
        def handler(signum: int, frame: FrameType | None) -> None:
            self._stop_requested = True
            if callable(honcho_handler):
                honcho_handler(signum, frame)

        return handler

    def _start_in_order(self) -> None:
        pending = list(self.specs)
        deadlines: dict[str, float] = {}
        ready: set[str] = set()
        while pending or deadlines:
            for spec in [s for s in pending if all(d in ready for d in s.depends_on)]:
                if self._terminating:
                    return
                pending.remove(spec)
                self._launch(spec)
                deadlines[spec.name] = time.monotonic() + self._timeout(spec)
            self._pump(0.05)
            if self._terminating:
                return
            for name in ready:
                if self._by_name[name].oneshot:
                    continue
                if (returncode := self._processes[name].get("returncode")) is not None:
                    raise StartupFailed(
                        name,
                        f"exited with code {returncode} while the others were starting",
                        log=self._log(name),
                    )
            for name in list(deadlines):
                if self._check_ready(name, deadlines[name]):
                    ready.add(name)
                    del deadlines[name]

    def _timeout(self, spec: ProcessSpec) -> float:
        return spec.ready_timeout if spec.ready_timeout is not None else self._ready_timeout

    def _launch(self, spec: ProcessSpec) -> None:
        p = self._processes[spec.name]
        p["obj"].env = self._environment(spec)
        header = f"--- {datetime.now(UTC).isoformat()} starting: {shlex.join(spec.command)}\n"
        self._printer.write_header(spec.name, header)
        # The fork copies unflushed stdio buffers, which the helper would write again on exit.
        for stream in (sys.stdout, sys.stderr, self._printer.output):
            stream.flush()
        p["process"] = multiprocessing.Process(
            name=spec.name, target=p["obj"].run, args=(self.events, True)
        )
        p["process"].start()
        deadline = time.monotonic() + _SPAWN_TIMEOUT
        while p.get("pid") is None:
            helper_gone = not p["process"].is_alive()
            self._pump(0.05)
            if p.get("pid") is not None:
                break
            if helper_gone or time.monotonic() > deadline:
                raise StartupFailed(spec.name, "could not be spawned", log=self._log(spec.name))
        self.pids[spec.name] = p["pid"]
        if self._terminating:
            # A stop arrived while this one was being spawned, after honcho signalled the rest.
            self._procmgr.terminate(p["pid"])

    def _environment(self, spec: ProcessSpec) -> dict[str, str]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.shared_env, **spec.env}
        if spec.oneshot:
            exports_file = self._exports_file(spec.name)
            exports_file.unlink(missing_ok=True)  # left by an earlier run
            env[TASK_EXPORTS_ENV] = str(exports_file)
        return env

    def _exports_file(self, name: str) -> Path:
        return self.run_dir.state_dir(name) / "exports.env"

    def _completed(self, name: str) -> bool:
        """Whether ``name`` is a one-shot task that has exited 0."""
        return self._by_name[name].oneshot and self._processes[name].get("returncode") == 0

    def _check_ready(self, name: str, deadline: float) -> bool:
        spec = self._by_name[name]
        p = self._processes[name]
        if spec.oneshot:
            return self._check_completed(spec, deadline)
        if p.get("returncode") is not None:
            raise StartupFailed(
                name,
                f"exited with code {p['returncode']} before it was ready",
                log=self._log(name),
            )
        if spec.ready is None:
            self._system_print(f"{name} started (no readiness check)\n")
            return True
        probe = spec.ready.probe(_PROBE_TIMEOUT)
        if probe.ok:
            self._system_print(f"{name} ready: {spec.ready.describe()} ({probe.detail})\n")
            return True
        if time.monotonic() > deadline:
            raise StartupFailed(
                name,
                f"not ready within {self._timeout(spec):g}s: {spec.ready.describe()}: "
                f"{probe.detail}",
                log=self._log(name),
            )
        return False

    def _check_completed(self, spec: ProcessSpec, deadline: float) -> bool:
        returncode = self._processes[spec.name].get("returncode")
        if returncode is None:
            if time.monotonic() > deadline:
                raise StartupFailed(
                    spec.name,
                    f"task not completed within {self._timeout(spec):g}s",
                    log=self._log(spec.name),
                )
            return False
        if returncode != 0:
            raise StartupFailed(
                spec.name, f"task failed: exited with code {returncode}", log=self._log(spec.name)
            )
        self._collect_exports(spec)
        self._system_print(f"{spec.name} completed (exit 0)\n")
        return True

    def _collect_exports(self, spec: ProcessSpec) -> None:
        """Merge what task ``spec`` wrote to its exports file into the shared environment."""
        path = self._exports_file(spec.name)
        try:
            exports = _read_exports(path)
        except ValueError as exc:
            raise StartupFailed(spec.name, f"{path}: {exc}", log=self._log(spec.name)) from None
        for key in exports:
            if key in self.shared_env and key not in spec.exports:
                raise StartupFailed(
                    spec.name, f"{path}: {key} is already exported", log=self._log(spec.name)
                )
        self.task_exports[spec.name] = exports
        self.shared_env.update(exports)

    def _pump(self, timeout: float) -> None:
        """Handle the events that arrive within ``timeout`` (honcho's loop is not running yet)."""
        try:
            message = self.events.get(timeout=timeout)
        except queue.Empty:
            return
        while True:
            self._handle(message)
            try:
                message = self.events.get_nowait()
            except queue.Empty:
                return

    def _handle(self, msg: Any) -> None:
        # The same three cases as honcho's loop().
        if msg.type == "line":
            self._printer.write(msg)
        elif msg.type == "start":
            self._processes[msg.name]["pid"] = msg.data["pid"]
            self._system_print(f"{msg.name} started (pid={msg.data['pid']})\n")
        elif msg.type == "stop":
            self._processes[msg.name]["returncode"] = msg.data["returncode"]
            self._system_print(f"{msg.name} stopped (rc={msg.data['returncode']})\n")
            # honcho's exit code is that of the first process to stop, not of a finished task.
            if self.returncode is None and not self._completed(msg.name):
                self.returncode = msg.data["returncode"]

    def _forget_unstarted(self) -> None:
        # honcho's loop() waits for every process it knows to report a PID; drop the ones that
        # never got one (their helper, if any, spawned nothing).
        for name in [n for n, p in self._processes.items() if p.get("pid") is None]:
            helper = self._processes.pop(name).get("process")
            if helper is not None and helper.is_alive():
                helper.kill()
                helper.join(timeout=5)

    def _log(self, name: str) -> Path:
        return self.run_dir.log_file(name)

    # ------------------------------------------------------------------ ready

    def _publish(self) -> Endpoints:
        records = [
            ProcessRecord(
                name=spec.name,
                pid=self.pids[spec.name],
                command=list(spec.command),
                log=self._log(spec.name),
                check=spec.ready,
                exports={**spec.exports, **self.task_exports.get(spec.name, {})},
                description=spec.description,
                oneshot=spec.oneshot,
                returncode=self._processes[spec.name].get("returncode") if spec.oneshot else None,
            )
            for spec in self.specs
        ]
        endpoints = Endpoints(
            run_dir=self.run_dir.path,
            supervisor_pid=os.getpid(),
            started_at=datetime.now(UTC),
            env=self.shared_env,
            processes=records,
        )
        endpoints.write(self.run_dir)
        say = self._system_print
        say(f"all {len(records)} processes ready; logs in {self.run_dir.logs_dir}\n")
        for key, value in endpoints.env.items():
            say(f"  {key}={value}\n")
        say(f"endpoints: {self.run_dir.endpoints_file}; shell: source {self.run_dir.env_file}\n")
        say("Ctrl-C stops everything\n")
        return endpoints


def honcho_kill_wait() -> float:
    """Seconds honcho waits after SIGTERM before it sends SIGKILL."""
    import honcho.manager

    return float(honcho.manager.KILL_WAIT)


def log_tail(path: Path, lines: int = _LOG_TAIL_LINES) -> list[str]:
    """The last ``lines`` lines of a log file (empty when it does not exist)."""
    try:
        text = path.read_bytes().decode(errors="replace")
    except FileNotFoundError:
        return []
    return text.splitlines()[-lines:]


def _read_exports(path: Path) -> dict[str, str]:
    """The ``KEY=VALUE`` lines of a task's exports file (none when it wrote no file); blank
    lines and ``#`` comments are skipped, the value is taken verbatim. ``ValueError`` names a
    line of any other shape."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, equals, value = line.partition("=")
        if not equals or not _ENV_KEY.fullmatch(key):
            raise ValueError(f"line {number}: expected KEY=VALUE, got {line!r}")
        found[key] = value
    return found


def _print_tail(console: TextIO, log: Path) -> None:
    tail = log_tail(log)
    if tail:
        print(f"--- last lines of {log}:", file=console)
        for line in tail:
            print(f"    {line}", file=console)
    console.flush()
