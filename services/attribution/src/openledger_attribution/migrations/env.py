"""Alembic environment of the attribution service (run by ``openledger_kit.db.upgrade``)."""

from openledger_attribution.adapters.repository.tables import metadata
from openledger_kit.db.migrations import run_migrations

run_migrations(metadata)
