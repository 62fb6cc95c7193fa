"""Alembic environment of the modelfactory service (run by ``openledger_kit.db.upgrade``)."""

from openledger_kit.db.migrations import run_migrations
from openledger_modelfactory.adapters.repository.tables import metadata

run_migrations(metadata)
