"""The inbox: exactly-once effects for at-least-once event consumers.

The bus redelivers an entry until it is acknowledged, so a handler may see an event twice. The
handler claims the event id in the same transaction as its effect; the claim is an INSERT that
does nothing when the (consumer group, event id) row already exists. Effect and mark commit or
roll back together, so an event's effect is applied once however often it arrives::

    with session_scope(sessions) as session:
        if claim_event(session, "datanet-curation", envelope.id):
            apply_effect(session, ...)
    # acknowledge the bus entry only now, after the commit

A service adds the table to its metadata (``add_inbox_table(metadata)``) and creates it in a
migration with ``op.create_table(INBOX_TABLE, *inbox_columns())``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Column, CursorResult, DateTime, MetaData, String, Table, delete, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

INBOX_TABLE = "processed_events"


def inbox_columns() -> list[Column[Any]]:
    """Fresh column objects for the inbox table (a migration and a metadata each need their own)."""
    return [
        Column("consumer_group", String(200), primary_key=True),
        Column("event_id", String(200), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    ]


# What the statements below are built against; any service's table of the same name and
# columns produces the same SQL.
_default_table = Table(INBOX_TABLE, MetaData(), *inbox_columns())


def add_inbox_table(metadata: MetaData) -> Table:
    """Add ``processed_events`` to a service's metadata (idempotent) and return it."""
    existing = metadata.tables.get(INBOX_TABLE)
    if existing is not None:
        return existing
    return Table(INBOX_TABLE, metadata, *inbox_columns())


def claim_event(
    session: Session,
    group: str,
    event_id: str,
    *,
    processed_at: datetime | None = None,
) -> bool:
    """Mark ``event_id`` processed for ``group`` in the session's transaction.

    True: this is the first claim, apply the effect in the same transaction. False: the event
    was already processed (or is being processed by a transaction that will commit first): skip
    it. Nothing is committed here; the caller's commit makes the mark and the effect durable
    together, and a rollback forgets both.
    """
    values = {
        "consumer_group": group,
        "event_id": event_id,
        "processed_at": processed_at or datetime.now(UTC),
    }
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        stmt: Any = sqlite.insert(_default_table).values(values).on_conflict_do_nothing()
    elif dialect == "postgresql":
        stmt = postgresql.insert(_default_table).values(values).on_conflict_do_nothing()
    else:
        # No portable "insert or ignore": a savepoint keeps a duplicate from aborting the caller.
        try:
            with session.begin_nested():
                session.execute(insert(_default_table).values(values))
        except IntegrityError:
            return False
        return True
    return _rowcount(session.execute(stmt)) == 1


def prune_events(session: Session, *, before: datetime, group: str | None = None) -> int:
    """Forget marks older than ``before`` (older than any possible redelivery); return how many.

    Runs in the caller's transaction."""
    stmt = delete(_default_table).where(_default_table.c.processed_at < before)
    if group is not None:
        stmt = stmt.where(_default_table.c.consumer_group == group)
    return _rowcount(session.execute(stmt))


def _rowcount(result: object) -> int:
    # DML results are cursor results; Session.execute is typed with the general Result.
    return int(cast(CursorResult[Any], result).rowcount)
