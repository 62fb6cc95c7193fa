"""Alembic migrations, run from code (no ``alembic.ini``).

Each service keeps its migrations inside its package, so they ship with it::

    services/datanet/src/openledger_datanet/migrations/
        env.py            # two lines, see run_migrations
        script.py.mako    # Alembic's template for new revisions
        versions/0001_initial.py ...

and upgrades at start-up, before serving::

    upgrade(engine, "openledger_datanet:migrations")

``script_location`` is a directory path or Alembic's ``package:directory`` form, which resolves
inside an installed package (wheels and editable installs alike). New revisions come from
Alembic's own command API with the same config, e.g.
``command.revision(alembic_config("openledger_datanet:migrations"), "add stakes")``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData

from openledger_kit.db.engine import make_engine

CONNECTION_ATTRIBUTE = "connection"
"""Key under ``Config.attributes`` where ``upgrade`` passes its open connection to env.py."""


def alembic_config(script_location: str | Path, *, url: str | None = None) -> Config:
    """An Alembic ``Config`` for a migrations directory, without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    if url is not None:
        # ConfigParser interpolation treats % specially (URL-encoded passwords).
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, script_location: str | Path, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (default: the newest) in one transaction.

    On SQLite and PostgreSQL DDL is transactional, so a failing revision leaves the schema as it
    was. Running it again when already at the target does nothing. On SQLite, concurrent callers
    serialise on the write lock; on PostgreSQL, run migrations from one place (an init container
    or the single leader) rather than from every replica at once.
    """
    config = alembic_config(script_location)
    with engine.begin() as connection:
        config.attributes[CONNECTION_ATTRIBUTE] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None before the first migration."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(script_location: str | Path) -> str | None:
    """The newest revision in the migrations directory."""
    return ScriptDirectory.from_config(alembic_config(script_location)).get_current_head()


def run_migrations(target_metadata: MetaData | None = None) -> None:
    """The body of a service's ``migrations/env.py``::

        from openledger_kit.db.migrations import run_migrations
        from openledger_datanet.adapters.db import metadata

        run_migrations(metadata)

    Uses the connection ``upgrade`` passed in; without one (the Alembic CLI), the
    ``sqlalchemy.url`` main option. ``target_metadata`` is only needed for autogenerate.
    SQLite gets Alembic's batch mode, which rebuilds a table for the ALTERs SQLite lacks.
    """
    config = context.config
    if context.is_offline_mode():
        url = config.get_main_option("sqlalchemy.url")
        context.configure(
            url=url,
            target_metadata=target_metadata,
            literal_binds=True,
            render_as_batch=bool(url and url.startswith("sqlite")),
        )
        with context.begin_transaction():
            context.run_migrations()
        return

    connection: Connection | None = config.attributes.get(CONNECTION_ATTRIBUTE)
    if connection is not None:
        _run_online(connection, target_metadata)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection passed and no sqlalchemy.url configured")
    engine = make_engine(url)
    try:
        with engine.begin() as own_connection:
            _run_online(own_connection, target_metadata)
    finally:
        engine.dispose()


def _run_online(connection: Connection, target_metadata: MetaData | None) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
