"""The modelfactory service's relational storage: one ``Repository`` over SQLAlchemy.

``Repository`` is a facade over focused parts that share one engine (``store``): jobs with
their update log and run state (``jobs``), and adapter versions (``adapter_versions``);
``pages`` holds the page tokens, ``tables`` the SQLAlchemy models and ``convert`` the
conversions between rows and domain values.

Every public method is one unit of work: one transaction through
``openledger_kit.db.session_scope``, committed when it returns. The API is synchronous;
asyncio code calls it through ``asyncio.to_thread``. SQLite (the default, WAL mode) takes the
write lock when a write transaction begins (``BEGIN IMMEDIATE``), so read-modify-write
sequences (the next update ``sequence``, claiming a queued job, the per-owner job limit) are
serialised; on PostgreSQL the job row is read ``FOR UPDATE`` for the same effect.

What the service and the runner rely on:

- **Idempotent creation.** ``create_job`` stores the request id (unique) and the request's
  hash with the job; a retry with the same id and hash gets the stored job; another hash is
  ``ALREADY_EXISTS`` (``REQUEST_ID_REUSED``).
- **One update per change.** ``update_job`` applies a change to the stored job and appends
  its ``JobUpdate`` with ``sequence`` = previous + 1 in the same transaction, optionally with
  the runner's state and the produced adapter, so the log, the job and the adapter never
  disagree.
- **Atomic claims.** ``claim_next_job`` hands each queued job to one runner.
"""

from __future__ import annotations

from sqlalchemy import Engine

from openledger_modelfactory.adapters.repository.adapter_versions import AdapterStore
from openledger_modelfactory.adapters.repository.jobs import ACTIVE_STATES, JobStore, Mutation
from openledger_modelfactory.adapters.repository.store import MIGRATIONS


class Repository(JobStore, AdapterStore):
    """The service's storage (see the module docstring). Thread-safe; one per process."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)


__all__ = ["ACTIVE_STATES", "MIGRATIONS", "Mutation", "Repository"]
