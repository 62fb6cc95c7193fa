"""Idempotency by request id: remembering a mutation's result and replaying it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from openledger_datanet.adapters.db import IdempotencyRow
from openledger_datanet.adapters.repository.store import Store
from openledger_datanet.domain import errors
from openledger_kit.db import prune_events

METHOD_CREATE_DATANET = "CreateDatanet"

METHOD_UPDATE_DATANET = "UpdateDatanet"

METHOD_SUBMIT = "SubmitContributions"

METHOD_CREATE_SNAPSHOT = "CreateSnapshot"


@dataclass(frozen=True)
class StoredRequest:
    """A remembered mutation: what ``stored_request`` returns for a request id.

    ``resource`` is the id of what it created or changed (a datanet id, or
    ``"{datanet}/{sequence}"`` for a snapshot); ``records`` the (contribution id,
    already_submitted) pairs a ``SubmitContributions`` stored, in order; ``annotations`` what
    the caller stored beside them (e.g. the records refused before storage).
    """

    request_id: str
    method: str
    resource: str
    records: tuple[tuple[str, bool], ...]
    annotations: dict[str, Any]
    create_time: datetime


class RequestStore(Store):
    """Remembered request ids: lookup and pruning."""

    def stored_request(
        self, request_id: str, *, method: str, fingerprint: bytes = b""
    ) -> StoredRequest | None:
        """The remembered mutation of ``request_id``; None when the id is new.
        ``ALREADY_EXISTS`` (``REQUEST_ID_REUSED``) when it was used for another request."""
        return self._read(
            lambda session: previous_request(session, request_id, method, fingerprint)
        )

    def prune(self, *, before: datetime) -> int:
        """Forget request ids and processed event ids older than ``before`` (the proto
        promises at least 24 hours); return how many rows went."""

        def work(session: Session) -> int:
            result = session.execute(
                delete(IdempotencyRow).where(IdempotencyRow.create_time < before)
            )
            removed: int = getattr(result, "rowcount", 0) or 0
            return removed + prune_events(session, before=before)

        return self._write(work)


def previous_request(
    session: Session, request_id: str | None, method: str, fingerprint: bytes
) -> StoredRequest | None:
    if not request_id:
        return None
    row = session.get(IdempotencyRow, request_id)
    if row is None:
        return None
    if row.method != method or bytes(row.fingerprint) != fingerprint:
        raise errors.request_id_reused(request_id)
    response = row.response
    return StoredRequest(
        request_id=row.request_id,
        method=row.method,
        resource=str(response.get("resource", "")),
        records=tuple((str(i), bool(a)) for i, a in response.get("records", [])),
        annotations=dict(response.get("annotations") or {}),
        create_time=row.create_time,
    )


def remember_request(
    session: Session,
    request_id: str | None,
    method: str,
    fingerprint: bytes,
    resource: str,
    now: datetime,
    *,
    records: list[list[Any]] | None = None,
    annotations: Mapping[str, Any] | None = None,
) -> None:
    if not request_id:
        return
    response: dict[str, Any] = {"resource": resource}
    if records is not None:
        response["records"] = records
    if annotations:
        response["annotations"] = dict(annotations)
    session.add(
        IdempotencyRow(
            request_id=request_id,
            method=method,
            fingerprint=fingerprint,
            response=response,
            create_time=now,
        )
    )
