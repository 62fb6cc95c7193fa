"""Alembic environment of the datanet service (run by ``openledger_kit.db.upgrade``)."""

from openledger_datanet.adapters.db import metadata
from openledger_kit.db.migrations import run_migrations

run_migrations(metadata)
