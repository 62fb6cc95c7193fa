"""Alembic environment of the sample migrations: what a service's env.py looks like."""

from openledger_kit.db.migrations import run_migrations

run_migrations()
