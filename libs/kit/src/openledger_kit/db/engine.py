"""``make_engine(url)``: a SQLAlchemy engine configured for how services use their database.

SQLite (the default, one file per service) gets:

- WAL journaling, so readers never block the writer and the writer never blocks readers;
- ``foreign_keys=ON`` (SQLite ignores foreign keys unless asked, per connection);
- a busy timeout, so a writer waits for the lock instead of failing with "database is locked";
- ``synchronous=NORMAL``, which in WAL mode is still safe against corruption and only risks the
  last commits on power loss;
- transactions that start with ``BEGIN IMMEDIATE``: the write lock is taken when the
  transaction starts, where the busy timeout applies. With a plain (deferred) ``BEGIN``, a
  transaction that reads and then writes can fail at once with "database is locked" when another
  connection committed in between, and no timeout helps. Read-only work can opt out with
  ``engine.execution_options(sqlite_begin="DEFERRED")`` (a WAL reader never waits);
- the database file's parent directory, created if missing.

PostgreSQL (in a cluster) is chosen by URL, ``postgresql+psycopg://user:pw@host/db``. Its driver
is not a dependency of the kit: install the ``postgres`` extra (``openledger-kit[postgres]``,
which brings ``psycopg[binary]``) in images that use it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from openledger_kit.errors import FailedPrecondition

SQLITE_BEGIN_OPTION = "sqlite_begin"
"""Execution option naming how SQLite transactions begin: IMMEDIATE (default) or DEFERRED."""

_BEGIN_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})


def make_engine(
    url: str | URL,
    *,
    busy_timeout_seconds: float = 30.0,
    echo: bool = False,
    **engine_kwargs: Any,
) -> Engine:
    """A sync engine for ``url`` (see the module docstring for what SQLite gets).

    The engine is synchronous: asyncio services run each unit of work in a worker thread with
    ``await asyncio.to_thread(fn)`` (see ``session_scope``). ``engine_kwargs`` go to
    ``sqlalchemy.create_engine`` (pool sizes, ``connect_args``...).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, busy_timeout_seconds, echo, engine_kwargs)
    engine_kwargs.setdefault("pool_pre_ping", True)
    try:
        return create_engine(parsed, echo=echo, **engine_kwargs)
    except ModuleNotFoundError as missing:
        raise FailedPrecondition(
            f"no driver for {parsed.drivername} ({missing.name} is not installed): "
            "install openledger-kit[postgres] for PostgreSQL",
            reason="DATABASE_DRIVER_MISSING",
        ) from missing


def _sqlite_engine(
    url: URL, busy_timeout_seconds: float, echo: bool, engine_kwargs: dict[str, Any]
) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database
    if not in_memory and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)

    connect_args = dict(engine_kwargs.pop("connect_args", {}))
    # The driver's own lock wait, for statements it issues itself.
    connect_args.setdefault("timeout", busy_timeout_seconds)
    engine = create_engine(url, echo=echo, connect_args=connect_args, **engine_kwargs)
    busy_ms = int(busy_timeout_seconds * 1000)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # Take BEGIN away from the sqlite3 module (it would skip it before SELECTs and DDL);
        # the "begin" hook below issues it instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        mode = str(connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE"))
        if mode.upper() not in _BEGIN_MODES:
            raise ValueError(f"{SQLITE_BEGIN_OPTION} must be one of {sorted(_BEGIN_MODES)}")
        connection.exec_driver_sql(f"BEGIN {mode.upper()}")

    return engine
