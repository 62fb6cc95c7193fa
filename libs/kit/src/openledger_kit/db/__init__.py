"""Relational storage: SQLAlchemy 2 engines, sessions, Alembic migrations and the inbox.

SQLite by default (one file per service, WAL), PostgreSQL in a cluster (``postgres`` extra).
The API is synchronous; asyncio services run each unit of work with ``asyncio.to_thread``.
A sync engine keeps one code path for both databases and for Alembic, and SQLite's own I/O
would block the event loop anyway.
"""

from openledger_kit.db.engine import SQLITE_BEGIN_OPTION, make_engine
from openledger_kit.db.inbox import (
    INBOX_TABLE,
    add_inbox_table,
    claim_event,
    inbox_columns,
    prune_events,
)
from openledger_kit.db.migrations import (
    alembic_config,
    current_revision,
    head_revision,
    run_migrations,
    upgrade,
)
from openledger_kit.db.session import make_sessionmaker, session_scope
from openledger_kit.db.store import Store

__all__ = [
    "INBOX_TABLE",
    "SQLITE_BEGIN_OPTION",
    "Store",
    "add_inbox_table",
    "alembic_config",
    "claim_event",
    "current_revision",
    "head_revision",
    "inbox_columns",
    "make_engine",
    "make_sessionmaker",
    "prune_events",
    "run_migrations",
    "session_scope",
    "upgrade",
]
