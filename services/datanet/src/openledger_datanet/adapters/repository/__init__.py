"""The datanet service's relational storage: one ``Repository`` over SQLAlchemy.

``Repository`` is a facade over focused parts that share one engine (``store``): datanets,
contributions, curation outcomes, contributors and penalties, snapshot jobs and snapshot
records, and remembered request ids; ``pages`` and ``requests`` hold the pagination and
idempotency helpers, ``rows`` and ``convert`` the row access and conversions they share.

Every public method is one unit of work: one transaction through
``openledger_kit.db.session_scope``, committed when it returns. The API is synchronous; asyncio
code calls it through ``asyncio.to_thread``. SQLite (the default, WAL mode) takes the write lock
when a write transaction begins (``BEGIN IMMEDIATE``), so read-modify-write sequences such as
"next accept_sequence" are serialised; on PostgreSQL the rows that carry counters are read
``FOR UPDATE`` for the same effect. Reads use deferred transactions, which never wait on a
writer under WAL.

What the service relies on:

- **Idempotency by request id.** ``create_datanet``, ``update_datanet``, ``add_contributions``
  and ``create_snapshot_job`` store the request id, a fingerprint of the request and what the
  mutation produced, in the same transaction as the mutation. A retry with the same id and
  fingerprint gets the original result and changes nothing; the same id with another
  fingerprint is ``ALREADY_EXISTS`` (``REQUEST_ID_REUSED``).
- **Idempotency by content.** A contributor who submits the same content hash to the same
  datanet again (earlier, or earlier in the same batch) gets the existing contribution back
  with ``already_submitted`` set; a unique constraint backs it.
- **Exactly-once curation outcomes.** ``record_outcome`` claims the event id with
  ``openledger_kit.db.claim_event`` in the transaction that applies the outcome, so the counters
  move once however often the event is redelivered, and it assigns ``accept_sequence`` (1, 2,
  ... per datanet, gapless, in commit order) to accepted contributions. ``record_outcomes``
  does the same for a batch in one transaction (a fraction of the cost per outcome).
- **Snapshots.** ``freeze_snapshot`` places the ACCEPTED contributions with ``accept_sequence``
  up to the snapshot's cutoff, in ascending order, as records 0..n-1, stores their leaves and
  the Merkle root; afterwards they are read back in order by ``snapshot_records``.

Pagination tokens are opaque to clients (see ``pages``).
"""

from __future__ import annotations

from sqlalchemy import Engine

from openledger_datanet.adapters.db import INBOX
from openledger_datanet.adapters.repository.contributions import ContributionStore
from openledger_datanet.adapters.repository.contributors import (
    PENALTIES_PER_CONTRIBUTOR,
    PENALTY_CONTRIBUTIONS,
    ContributorStore,
    penalty_reason_hash,
)
from openledger_datanet.adapters.repository.datanets import DatanetStore
from openledger_datanet.adapters.repository.outcomes import (
    CURATION_GROUP,
    OutcomeStore,
    OutcomeToRecord,
    RecordedOutcome,
)
from openledger_datanet.adapters.repository.pages import MAX_PAGE_SIZE
from openledger_datanet.adapters.repository.requests import (
    METHOD_CREATE_DATANET,
    METHOD_CREATE_SNAPSHOT,
    METHOD_SUBMIT,
    METHOD_UPDATE_DATANET,
    RequestStore,
    StoredRequest,
)
from openledger_datanet.adapters.repository.snapshots import FilesWriter, SnapshotStore
from openledger_datanet.adapters.repository.store import MIGRATIONS


class Repository(
    SnapshotStore, DatanetStore, ContributionStore, OutcomeStore, ContributorStore, RequestStore
):
    """The service's storage (see the module docstring). Thread-safe; one per process."""

    def __init__(self, engine: Engine, *, tree_cache_size: int = 8) -> None:
        super().__init__(engine, tree_cache_size=tree_cache_size)


__all__ = [
    "CURATION_GROUP",
    "INBOX",
    "MAX_PAGE_SIZE",
    "METHOD_CREATE_DATANET",
    "METHOD_CREATE_SNAPSHOT",
    "METHOD_SUBMIT",
    "METHOD_UPDATE_DATANET",
    "MIGRATIONS",
    "PENALTIES_PER_CONTRIBUTOR",
    "PENALTY_CONTRIBUTIONS",
    "FilesWriter",
    "OutcomeToRecord",
    "RecordedOutcome",
    "Repository",
    "StoredRequest",
    "penalty_reason_hash",
]
