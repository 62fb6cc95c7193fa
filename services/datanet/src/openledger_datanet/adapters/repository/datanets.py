"""Datanets: create, read, list and update."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from openledger_datanet.adapters.db import DatanetRow
from openledger_datanet.adapters.repository.convert import (
    checksum_address,
    datanet_from_row,
    tx_json,
)
from openledger_datanet.adapters.repository.pages import (
    check_page_size,
    count_rows,
    decode_token,
    encode_token,
    parse_time,
    query_fingerprint,
)
from openledger_datanet.adapters.repository.requests import (
    METHOD_CREATE_DATANET,
    METHOD_UPDATE_DATANET,
    previous_request,
    remember_request,
)
from openledger_datanet.adapters.repository.rows import datanet_row
from openledger_datanet.adapters.repository.store import Store
from openledger_datanet.domain import errors
from openledger_datanet.domain.model import (
    DOMAIN,
    Datanet,
    DatanetState,
    Page,
    policy_to_dict,
    utcnow,
)
from openledger_kit.errors import Aborted, InvalidArgument

_UPDATABLE_DATANET_FIELDS = frozenset(
    {
        "display_name",
        "domain",
        "description",
        "record_schema",
        "policy",
        "stake_required",
        "curator",
        "state",
        "registration",
    }
)


class DatanetStore(Store):
    """Datanet rows."""

    def create_datanet(
        self, datanet: Datanet, *, request_id: str | None = None, fingerprint: bytes = b""
    ) -> Datanet:
        """Store a new datanet (counters start at zero, revision at 1).

        ``ALREADY_EXISTS`` (``DATANET_ALREADY_EXISTS``) when the id is taken. A retry with the
        same ``request_id`` returns the datanet as it is now."""

        def work(session: Session) -> Datanet:
            previous = previous_request(session, request_id, METHOD_CREATE_DATANET, fingerprint)
            if previous is not None:
                return datanet_from_row(datanet_row(session, previous.resource))
            if session.get(DatanetRow, datanet.id) is not None:
                raise errors.datanet_exists(datanet.id)
            now = utcnow()
            row = DatanetRow(
                id=datanet.id,
                display_name=datanet.display_name,
                domain=datanet.domain,
                description=datanet.description,
                record_schema=dict(datanet.record_schema),
                curation_policy=policy_to_dict(datanet.policy),
                stake_required=str(datanet.stake_required),
                curator=checksum_address(datanet.curator),
                state=DatanetState(datanet.state).value,
                revision=1,
                registration=tx_json(datanet.registration),
                accepted_count=0,
                rejected_count=0,
                pending_count=0,
                contributor_count=0,
                last_accept_sequence=0,
                last_snapshot_sequence=0,
                latest_snapshot_sequence=None,
                create_time=now,
                update_time=now,
            )
            session.add(row)
            remember_request(
                session, request_id, METHOD_CREATE_DATANET, fingerprint, datanet.id, now
            )
            session.flush()
            return datanet_from_row(row)

        return self._write(work)

    def get_datanet(self, datanet_id: str) -> Datanet:
        """``NOT_FOUND`` (``DATANET_NOT_FOUND``) when there is none."""
        return self._read(lambda session: datanet_from_row(datanet_row(session, datanet_id)))

    def list_datanets(
        self,
        *,
        curator: str | None = None,
        domain: str | None = None,
        states: Sequence[DatanetState | str] = (),
        page_size: int = 50,
        page_token: str = "",
    ) -> Page[Datanet]:
        """Datanets newest first (``create_time``, then id), filtered (AND)."""
        check_page_size(page_size)
        conditions: list[ColumnElement[bool]] = []
        if curator:
            conditions.append(DatanetRow.curator == checksum_address(curator))
        if domain:
            conditions.append(DatanetRow.domain == domain)
        if states:
            conditions.append(DatanetRow.state.in_([DatanetState(s).value for s in states]))
        query = query_fingerprint("datanets", curator, domain, sorted(map(str, states)))

        def work(session: Session) -> Page[Datanet]:
            total = count_rows(session, DatanetRow, conditions)
            stmt = select(DatanetRow).where(*conditions)
            if page_token:
                time_text, last_id = decode_token(page_token, query, 2)
                after = parse_time(time_text)
                stmt = stmt.where(
                    or_(
                        DatanetRow.create_time < after,
                        and_(DatanetRow.create_time == after, DatanetRow.id < last_id),
                    )
                )
            stmt = stmt.order_by(DatanetRow.create_time.desc(), DatanetRow.id.desc())
            rows = list(session.scalars(stmt.limit(page_size + 1)))
            token = ""
            if len(rows) > page_size:
                rows = rows[:page_size]
                token = encode_token(query, [rows[-1].create_time.isoformat(), rows[-1].id])
            return Page([datanet_from_row(row) for row in rows], token, total)

        return self._read(work)

    def datanets_in_state(self, *states: DatanetState | str) -> list[Datanet]:
        """Every datanet in one of ``states``, oldest first (e.g. registrations to resume)."""
        values = [DatanetState(state).value for state in states]

        def work(session: Session) -> list[Datanet]:
            stmt = (
                select(DatanetRow)
                .where(DatanetRow.state.in_(values))
                .order_by(DatanetRow.create_time, DatanetRow.id)
            )
            return [datanet_from_row(row) for row in session.scalars(stmt)]

        return self._read(work)

    def update_datanet(
        self,
        datanet_id: str,
        changes: Mapping[str, Any],
        *,
        expected_etag: str | None = None,
        request_id: str | None = None,
        fingerprint: bytes = b"",
    ) -> Datanet:
        """Replace the named fields and return the datanet after the update.

        Keys are ``Datanet`` field names: ``display_name``, ``domain``, ``description``,
        ``record_schema``, ``policy``, ``stake_required``, ``curator``, ``state``,
        ``registration``. A change of ``record_schema`` or ``policy`` bumps ``revision``.
        ``expected_etag`` makes the update conditional (``ABORTED`` when stale). A retry with
        the same ``request_id`` changes nothing and returns the datanet as it is now.
        """
        unknown = set(changes) - _UPDATABLE_DATANET_FIELDS
        if unknown:
            raise InvalidArgument("update_mask", f"cannot update {sorted(unknown)}", domain=DOMAIN)

        def work(session: Session) -> Datanet:
            previous = previous_request(session, request_id, METHOD_UPDATE_DATANET, fingerprint)
            if previous is not None:
                return datanet_from_row(datanet_row(session, previous.resource))
            row = datanet_row(session, datanet_id, lock=True)
            if expected_etag and expected_etag != datanet_from_row(row).etag:
                raise Aborted(
                    f"datanet {datanet_id!r} changed since it was read (etag mismatch)",
                    reason="ETAG_MISMATCH",
                    domain=DOMAIN,
                )
            changed = False
            bump = False
            for key, value in changes.items():
                column, stored = _datanet_column(key, value)
                if getattr(row, column) != stored:
                    setattr(row, column, stored)
                    changed = True
                    bump = bump or key in ("record_schema", "policy")
            now = utcnow()
            if bump:
                row.revision += 1
            if changed:
                row.update_time = now
            remember_request(
                session, request_id, METHOD_UPDATE_DATANET, fingerprint, datanet_id, now
            )
            return datanet_from_row(row)

        return self._write(work)


def _datanet_column(key: str, value: Any) -> tuple[str, Any]:
    """The column and stored form of an updatable ``Datanet`` field."""
    if key == "policy":
        return "curation_policy", policy_to_dict(value)
    if key == "record_schema":
        return key, dict(value)
    if key == "stake_required":
        return key, str(int(value))
    if key == "curator":
        return key, checksum_address(value)
    if key == "state":
        return key, DatanetState(value).value
    if key == "registration":
        return key, tx_json(value)
    return key, str(value)
