"""Adapter versions: store, read, list, and who owns an adapter id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from openledger_kit.errors import AlreadyExists
from openledger_modelfactory.adapters.repository.convert import adapter_from_row, new_adapter_row
from openledger_modelfactory.adapters.repository.pages import (
    bad_token,
    count_rows,
    decode_token,
    encode_token,
    query_fingerprint,
)
from openledger_modelfactory.adapters.repository.store import Store
from openledger_modelfactory.adapters.repository.tables import AdapterRow
from openledger_modelfactory.domain import errors
from openledger_modelfactory.domain.model import DOMAIN, Adapter, Page, adapter_name


class AdapterStore(Store):
    """Adapter rows (immutable once stored)."""

    def create_adapter(self, adapter: Adapter) -> Adapter:
        """Store an adapter version. Storing the same version from the same job again
        returns the stored one; a version taken by anything else is ``ALREADY_EXISTS``."""
        return self._write(lambda session: insert_adapter(session, adapter))

    def get_adapter(self, adapter_id: str, version: int | None = None) -> Adapter:
        """One version, or the latest with ``version`` None. ``NOT_FOUND``
        (``ADAPTER_NOT_FOUND``) when there is none."""

        def work(session: Session) -> Adapter:
            stmt = select(AdapterRow).where(AdapterRow.adapter_id == adapter_id)
            if version is not None:
                stmt = stmt.where(AdapterRow.version == version)
            row = session.scalars(stmt.order_by(AdapterRow.version.desc()).limit(1)).first()
            if row is None:
                name = adapter_name(adapter_id, version) if version else f"adapters/{adapter_id}"
                raise errors.adapter_not_found(name)
            return adapter_from_row(row)

        return self._read(work)

    def latest_adapter_version(self, adapter_id: str) -> int:
        """The highest stored version of ``adapter_id``; 0 when there is none."""
        return self._read(
            lambda session: int(
                session.scalar(
                    select(func.max(AdapterRow.version)).where(AdapterRow.adapter_id == adapter_id)
                )
                or 0
            )
        )

    def adapter_owner(self, adapter_id: str) -> str | None:
        """Who owns ``adapter_id``: the owner of its first version; None when it has none."""

        def work(session: Session) -> str | None:
            row = session.scalars(
                select(AdapterRow)
                .where(AdapterRow.adapter_id == adapter_id)
                .order_by(AdapterRow.version)
                .limit(1)
            ).first()
            return row.owner if row is not None else None

        return self._read(work)

    def list_adapters(
        self,
        *,
        adapter_id: str = "",
        base_model: str = "",
        owner: str = "",
        snapshot: str = "",
        latest_only: bool = False,
        page_size: int = 50,
        page_token: str = "",
    ) -> Page[Adapter]:
        """Adapter versions newest first (``create_time``, then id and version), filtered
        (AND; empty = any). ``latest_only`` keeps each id's highest version (if it matches
        the other filters). ``owner`` must be checksummed."""
        conditions: list[ColumnElement[bool]] = []
        if adapter_id:
            conditions.append(AdapterRow.adapter_id == adapter_id)
        if base_model:
            conditions.append(AdapterRow.base_model == base_model)
        if owner:
            conditions.append(AdapterRow.owner == owner)
        if snapshot:
            conditions.append(AdapterRow.snapshot == snapshot)
        if latest_only:
            newer = aliased(AdapterRow)
            conditions.append(
                AdapterRow.version
                == select(func.max(newer.version))
                .where(newer.adapter_id == AdapterRow.adapter_id)
                .scalar_subquery()
            )
        query = query_fingerprint("adapters", adapter_id, base_model, owner, snapshot, latest_only)

        def work(session: Session) -> Page[Adapter]:
            total = count_rows(session, AdapterRow, conditions)
            stmt = select(AdapterRow).where(*conditions)
            if page_token:
                time_text, last_id, last_version = decode_token(page_token, query, 3)
                after, version = _key(time_text, last_version)
                stmt = stmt.where(
                    or_(
                        AdapterRow.create_time < after,
                        and_(AdapterRow.create_time == after, AdapterRow.adapter_id < last_id),
                        and_(
                            AdapterRow.create_time == after,
                            AdapterRow.adapter_id == last_id,
                            AdapterRow.version < version,
                        ),
                    )
                )
            stmt = stmt.order_by(
                AdapterRow.create_time.desc(),
                AdapterRow.adapter_id.desc(),
                AdapterRow.version.desc(),
            )
            rows = list(session.scalars(stmt.limit(page_size + 1)))
            token = ""
            if len(rows) > page_size:
                rows = rows[:page_size]
                last = rows[-1]
                token = encode_token(
                    query, [last.create_time.isoformat(), last.adapter_id, str(last.version)]
                )
            return Page([adapter_from_row(row) for row in rows], token, total)

        return self._read(work)


def insert_adapter(session: Session, adapter: Adapter) -> Adapter:
    existing = session.get(AdapterRow, (adapter.adapter_id, adapter.version))
    if existing is not None:
        if existing.training_job == adapter.training_job and bytes(
            existing.adapter_sha256
        ) == bytes(adapter.adapter_sha256):
            return adapter_from_row(existing)
        raise AlreadyExists(
            f"adapter {adapter.ref} already exists",
            reason="ADAPTER_VERSION_EXISTS",
            domain=DOMAIN,
            metadata={"adapter": adapter.name},
        )
    row = new_adapter_row(adapter)
    session.add(row)
    session.flush()
    return adapter_from_row(row)


def _key(time_text: str, version_text: str) -> tuple[datetime, int]:
    try:
        return datetime.fromisoformat(time_text), int(version_text)
    except ValueError:
        raise bad_token("not a page token of this list") from None
