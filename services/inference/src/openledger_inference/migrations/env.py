"""Alembic environment of the inference service (run by ``openledger_kit.db.upgrade``)."""

from openledger_inference.adapters.repository.tables import metadata
from openledger_kit.db.migrations import run_migrations

run_migrations(metadata)
