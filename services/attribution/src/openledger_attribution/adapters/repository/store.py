"""The repository's base: the kit's unit-of-work store on this service's migrations."""

from __future__ import annotations

from openledger_kit.db.store import Store as KitStore

MIGRATIONS = "openledger_attribution:migrations"
"""Alembic script location of the service's migrations."""


class Store(KitStore):
    MIGRATIONS = MIGRATIONS
