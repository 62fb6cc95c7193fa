"""Sessions: one transaction per unit of work, committed or rolled back as a whole."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory for ``engine``.

    ``expire_on_commit=False`` keeps loaded attributes readable after the commit, so a unit of
    work run in a worker thread can hand its results back to async code.
    """
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose transaction commits when the block ends and rolls back if it raises.

    From asyncio, run the whole unit of work in one worker thread and never share the session
    across threads or await inside it::

        def record(event_id: str) -> bool:
            with session_scope(sessions) as session:
                if not claim_event(session, "curation", event_id):
                    return False
                session.add(Contribution(...))
                return True

        done = await asyncio.to_thread(record, envelope.id)
    """
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
