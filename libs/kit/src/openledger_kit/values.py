"""Plain values every service's domain shares: who is calling, an object in the store, a chain
transaction the service sent. Kept free of gRPC, protobuf and Redis so domain code can take
them; ``openledger_kit.auth.current_caller`` builds a ``Caller`` from the authenticated
principal, and each service's API layer converts the others to ``openledger.common.v1``."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Caller:
    """A user's checksummed address, the admin role, or another service (the shared token)."""

    address: str | None = None
    admin: bool = False
    service: bool = False

    @property
    def privileged(self) -> bool:
        """Admins and services may act for any user."""
        return self.admin or self.service

    def is_(self, address: str) -> bool:
        return self.address is not None and self.address.lower() == address.lower()


class TxStatus(enum.StrEnum):
    """Where a chain transaction the service sent stands (``common.v1.ChainTransactionStatus``)."""

    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    REVERTED = "REVERTED"
    DROPPED = "DROPPED"


@dataclass(frozen=True)
class ChainTx:
    """A transaction the service sent (``common.v1.ChainTransaction``)."""

    chain_id: int
    contract_address: str
    tx_hash: bytes = b""
    status: TxStatus = TxStatus.PENDING
    block_number: int = 0
    block_hash: bytes = b""
    block_time: datetime | None = None


@dataclass(frozen=True)
class ObjectRef:
    """An object in the content-addressed store (``common.v1.ObjectRef``)."""

    uri: str
    sha256: bytes
    size_bytes: int
    media_type: str
