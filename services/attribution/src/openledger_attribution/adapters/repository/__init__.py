"""The attribution service's relational storage: one ``Repository`` over SQLAlchemy,
implementing ``openledger_attribution.domain.ports.Repository``.

``Repository`` is a facade over focused parts that share one engine (``store``): the
catalogue of adapters, snapshots and span indexes (``catalogue``), completions and their
attributions (``attributions``), settlements and their leases (``settlements``) and the
contributors' credits (``credits``); ``tables`` holds the SQLAlchemy models and ``convert`` the
conversions between rows and domain values.

Every public method is one transaction through ``openledger_kit.db.session_scope``. The API is
synchronous; asyncio code calls it through ``asyncio.to_thread``. SQLite (the default, one file,
WAL) is shared by several worker processes: write transactions begin ``IMMEDIATE`` and so run
one at a time, reads are deferred and never wait. On PostgreSQL the rows a write reads before it
decides are locked ``FOR UPDATE``. What the workers rely on:

- **Idempotent intake.** ``begin`` is insert-or-get by inference id.
- **One result per inference.** ``finish`` stores an attribution only while the stored one is
  PENDING or FAILED; a second finisher gets the first one's result.
- **Exclusive leases.** ``claim_settlements`` never leases one settlement to two workers.
"""

from __future__ import annotations

from openledger_attribution.adapters.repository.attributions import AttributionStore
from openledger_attribution.adapters.repository.catalogue import CatalogueStore
from openledger_attribution.adapters.repository.credits import CreditStore
from openledger_attribution.adapters.repository.settlements import SettlementStore
from openledger_attribution.adapters.repository.store import MIGRATIONS


class Repository(CatalogueStore, AttributionStore, SettlementStore, CreditStore):
    """The service's storage (see the module docstring). Thread-safe; one per process."""


__all__ = ["MIGRATIONS", "Repository"]
