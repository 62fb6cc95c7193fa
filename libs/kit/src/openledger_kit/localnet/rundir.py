"""The run directory (``.run/`` by default): state, logs, endpoints and the supervisor's lock."""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from openledger_kit.localnet.errors import AlreadyRunning
from openledger_kit.localnet.processes import repo_root

RUN_DIR_ENV = "OL_RUN_DIR"
_LOCK_ATTEMPTS = 5


@dataclass(frozen=True)
class RunDir:
    """Paths under one run directory. Nothing is created until ``prepare()``."""

    path: Path

    @classmethod
    def resolve(cls, path: Path | None = None) -> RunDir:
        """``path``, else ``$OL_RUN_DIR``, else ``.run`` at the repository root (or the cwd)."""
        if path is None and (from_env := os.environ.get(RUN_DIR_ENV)):
            path = Path(from_env)
        if path is None:
            path = (repo_root() or Path.cwd()) / ".run"
        return cls(path.expanduser().resolve())

    @property
    def endpoints_file(self) -> Path:
        """JSON written once every process is ready; removed when the supervisor stops."""
        return self.path / "endpoints.json"

    @property
    def env_file(self) -> Path:
        """Shell ``export`` lines with the same endpoints (``source .run/env``)."""
        return self.path / "env"

    @property
    def logs_dir(self) -> Path:
        return self.path / "logs"

    @property
    def lock_file(self) -> Path:
        return self.path / "supervisor.lock"

    def log_file(self, name: str) -> Path:
        """Where the output of process ``name`` is appended."""
        return self.logs_dir / f"{name}.log"

    def state_dir(self, name: str) -> Path:
        """A directory for one component's persistent state (``.run/<name>/``), created."""
        directory = self.path / name
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def prepare(self) -> None:
        self.logs_dir.mkdir(parents=True, exist_ok=True)

    def write_atomic(self, path: Path, text: str) -> None:
        """Replace ``path`` in one rename so a reader never sees a half-written file."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text)
        tmp.replace(path)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the run directory for one supervisor; raise ``AlreadyRunning`` if another has it.

        An ``flock`` dies with its holders, so a crashed supervisor never leaves a stale lock.
        """
        self.prepare()
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            # supervisor_pid() holds a shared lock for an instant: retry briefly past it.
            for attempt in range(_LOCK_ATTEMPTS):
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if attempt == _LOCK_ATTEMPTS - 1:
                        raise AlreadyRunning(self.path, _read_pid(fd)) from None
                    time.sleep(0.05)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield
        finally:
            os.close(fd)

    def supervisor_pid(self) -> int | None:
        """PID of the supervisor holding this run directory, or None when none holds it."""
        if not self.lock_file.exists():
            return None
        fd = os.open(self.lock_file, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return _read_pid(fd)
            return None
        finally:
            os.close(fd)


def _read_pid(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None
