"""The base of a service's repository: the engine, its write and read sessionmakers, the
service's migrations, and one transaction per call."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Self, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from openledger_kit.db.engine import SQLITE_BEGIN_OPTION, make_engine
from openledger_kit.db.migrations import upgrade
from openledger_kit.db.session import make_sessionmaker, session_scope

T = TypeVar("T")


class Store:
    """Subclasses name their Alembic script location in ``MIGRATIONS`` (``"pkg:migrations"``)
    and do their work in ``_write`` / ``_read`` callbacks, each one transaction."""

    MIGRATIONS: ClassVar[str]

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writes: sessionmaker[Session] = make_sessionmaker(engine)
        # Reads take no write lock on SQLite (writes begin IMMEDIATE).
        self._reads: sessionmaker[Session] = make_sessionmaker(
            engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
        )

    @classmethod
    def open(
        cls, database_url: str, *, migrate: bool = True, busy_timeout_seconds: float = 30.0
    ) -> Self:
        """A repository on ``database_url`` (``sqlite:///path``, ``postgresql+psycopg://…``),
        upgraded to the newest schema unless ``migrate`` is False."""
        repository = cls(make_engine(database_url, busy_timeout_seconds=busy_timeout_seconds))
        if migrate:
            repository.migrate()
        return repository

    def migrate(self) -> None:
        """Upgrade the schema to the newest migration (nothing when already there)."""
        upgrade(self.engine, self.MIGRATIONS)

    def close(self) -> None:
        """Close the engine's connections."""
        self.engine.dispose()

    def _write(self, work: Callable[[Session], T]) -> T:
        # A unique-key race (PostgreSQL, or two writers of one request id) surfaces as an
        # IntegrityError at flush; the retry then sees the winner's row and answers from it.
        for attempt in range(3):
            try:
                with session_scope(self._writes) as session:
                    return work(session)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _read(self, work: Callable[[Session], T]) -> T:
        with session_scope(self._reads) as session:
            return work(session)
