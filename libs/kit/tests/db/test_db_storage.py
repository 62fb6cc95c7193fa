"""Engines, migrations, sessions and the inbox on real SQLite files."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, Table, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from openledger_kit.db import (
    INBOX_TABLE,
    SQLITE_BEGIN_OPTION,
    add_inbox_table,
    claim_event,
    current_revision,
    head_revision,
    make_engine,
    make_sessionmaker,
    prune_events,
    session_scope,
    upgrade,
)

MIGRATIONS = Path(__file__).parent / "sample_migrations"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    # A directory that does not exist yet: make_engine creates it.
    return f"sqlite:///{tmp_path / 'state' / 'nested' / 'service.db'}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url, busy_timeout_seconds=10)
    upgrade(engine, MIGRATIONS)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


def _tables(engine: Engine) -> MetaData:
    metadata = MetaData()
    metadata.reflect(engine)
    return metadata


def test_sqlite_engine_uses_wal_foreign_keys_and_busy_timeout(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url, busy_timeout_seconds=7.5)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 7500
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    assert (tmp_path / "state" / "nested" / "service.db").is_file()
    engine.dispose()


def test_migrations_upgrade_step_by_step_then_to_head(db_url: str) -> None:
    engine = make_engine(db_url)
    assert current_revision(engine) is None
    assert head_revision(MIGRATIONS) == "0002"

    upgrade(engine, MIGRATIONS, "0001")
    assert current_revision(engine) == "0001"
    assert set(_tables(engine).tables) == {"alembic_version", "items", "item_tags"}

    upgrade(engine, MIGRATIONS)
    assert current_revision(engine) == "0002"
    tables = _tables(engine).tables
    assert {"counters", INBOX_TABLE} <= set(tables)
    assert "note" in tables["items"].c
    # Already at head: nothing to do, nothing fails.
    upgrade(engine, MIGRATIONS)
    assert current_revision(engine) == "0002"
    engine.dispose()


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text("INSERT INTO item_tags (item_id, tag) VALUES (42, 'orphan')"))


def test_session_scope_commits_or_rolls_back(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    items = _tables(engine).tables["items"]
    with session_scope(sessions) as session:
        session.execute(items.insert().values(name="kept"))
    with pytest.raises(RuntimeError), session_scope(sessions) as session:
        session.execute(items.insert().values(name="discarded"))
        raise RuntimeError("handler failed")
    with engine.connect() as connection:
        assert connection.execute(select(items.c.name)).scalars().all() == ["kept"]


def test_concurrent_writers_wait_on_the_busy_timeout(db_url: str, engine: Engine) -> None:
    counters = _tables(engine).tables["counters"]
    with engine.begin() as connection:
        connection.execute(counters.insert().values(name="hits", value=0))

    writers, rounds = 4, 25
    start = threading.Barrier(writers)

    def increment() -> None:
        # Each writer has its own engine, as separate service processes would.
        own = make_engine(db_url, busy_timeout_seconds=10)
        factory = make_sessionmaker(own)
        start.wait()
        for _ in range(rounds):
            # Read, then write: the pattern a deferred BEGIN turns into "database is locked".
            with session_scope(factory) as session:
                value = session.execute(
                    select(counters.c.value).where(counters.c.name == "hits")
                ).scalar_one()
                session.execute(
                    counters.update().where(counters.c.name == "hits").values(value=value + 1)
                )
        own.dispose()

    with ThreadPoolExecutor(max_workers=writers) as pool:
        for future in [pool.submit(increment) for _ in range(writers)]:
            future.result()

    with engine.connect() as connection:
        assert connection.execute(select(counters.c.value)).scalar_one() == writers * rounds


def test_busy_timeout_is_what_lets_a_blocked_writer_through(db_url: str, engine: Engine) -> None:
    items = _tables(engine).tables["items"]
    impatient = make_engine(db_url, busy_timeout_seconds=0)
    patient = make_engine(db_url, busy_timeout_seconds=30)
    holding = threading.Event()
    release = threading.Event()

    def hold_write_lock() -> None:
        with engine.begin() as connection:
            connection.execute(items.insert().values(name="holder"))
            holding.set()
            release.wait(30)

    with ThreadPoolExecutor(max_workers=2) as pool:
        holder = pool.submit(hold_write_lock)
        assert holding.wait(30)
        with pytest.raises(OperationalError, match="database is locked"):
            with impatient.begin() as connection:
                connection.execute(items.insert().values(name="impatient"))

        # A WAL reader does not wait for the writer when it begins deferred.
        reader = engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
        with reader.connect() as connection:
            assert connection.execute(select(func.count()).select_from(items)).scalar() == 0

        waiter = pool.submit(_insert, patient, items, "patient")
        release.set()
        holder.result()
        waiter.result()

    with engine.connect() as connection:
        names = set(connection.execute(select(items.c.name)).scalars())
    assert names == {"holder", "patient"}
    impatient.dispose()
    patient.dispose()


def _insert(engine: Engine, items: Table, name: str) -> None:
    with engine.begin() as connection:
        connection.execute(items.insert().values(name=name))


def test_claim_event_is_true_once_per_group(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        assert claim_event(session, "curation", "evt-1") is True
        # Twice in the same transaction: already claimed.
        assert claim_event(session, "curation", "evt-1") is False
    with session_scope(sessions) as session:
        assert claim_event(session, "curation", "evt-1") is False
        # Another consumer group processes the same event independently.
        assert claim_event(session, "settlement", "evt-1") is True


def test_claim_and_effect_roll_back_together(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    tables = _tables(engine).tables
    counters, inbox = tables["counters"], tables[INBOX_TABLE]
    with pytest.raises(RuntimeError), session_scope(sessions) as session:
        assert claim_event(session, "curation", "evt-2")
        session.execute(counters.insert().values(name="evt-2", value=1))
        raise RuntimeError("crash before commit")

    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(counters)).scalar() == 0
        assert connection.execute(select(func.count()).select_from(inbox)).scalar() == 0

    # The redelivered event is processed, once.
    for _ in range(2):
        with session_scope(sessions) as session:
            if claim_event(session, "curation", "evt-2"):
                session.execute(counters.insert().values(name="evt-2", value=1))
    with engine.connect() as connection:
        assert connection.execute(select(counters.c.name)).scalars().all() == ["evt-2"]


def test_concurrent_claims_of_one_event_succeed_exactly_once(db_url: str, engine: Engine) -> None:
    consumers = 6
    start = threading.Barrier(consumers)

    def consume() -> bool:
        own = make_engine(db_url, busy_timeout_seconds=10)
        try:
            start.wait()
            with session_scope(make_sessionmaker(own)) as session:
                return claim_event(session, "attribution", "evt-3")
        finally:
            own.dispose()

    with ThreadPoolExecutor(max_workers=consumers) as pool:
        results = list(pool.map(lambda _: consume(), range(consumers)))
    assert sorted(results) == [False] * (consumers - 1) + [True]


def test_prune_forgets_only_old_marks(sessions: sessionmaker[Session]) -> None:
    now = datetime.now(UTC)
    with session_scope(sessions) as session:
        claim_event(session, "g", "old", processed_at=now - timedelta(days=30))
        claim_event(session, "g", "new", processed_at=now)
    with session_scope(sessions) as session:
        assert prune_events(session, before=now - timedelta(days=7)) == 1
    with session_scope(sessions) as session:
        assert claim_event(session, "g", "old") is True
        assert claim_event(session, "g", "new") is False


def test_add_inbox_table_to_service_metadata() -> None:
    metadata = MetaData()
    table = add_inbox_table(metadata)
    assert add_inbox_table(metadata) is table
    assert [column.name for column in table.primary_key] == ["consumer_group", "event_id"]
    memory = make_engine("sqlite://")
    metadata.create_all(memory)
    with Session(memory) as session, session.begin():
        assert claim_event(session, "g", "e") is True
        assert claim_event(session, "g", "e") is False
    memory.dispose()
