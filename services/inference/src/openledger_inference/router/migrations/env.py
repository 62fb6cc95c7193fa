"""Alembic environment of the pool router's database (run by ``openledger_kit.db.upgrade``)."""

from openledger_inference.router.repository import metadata
from openledger_kit.db.migrations import run_migrations

run_migrations(metadata)
