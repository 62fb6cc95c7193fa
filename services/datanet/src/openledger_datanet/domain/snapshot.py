"""Snapshot records: which accepted contributions a snapshot holds, in which order, and the
fields each record commits to.

A snapshot holds every ACCEPTED contribution with ``accept_sequence`` up to its cutoff, in
ascending ``accept_sequence``; record ``i`` (0-based) is Merkle leaf ``i``
(``openledger_datanet.domain.merkle``). The record's ``content`` is the curated content (the
submitted original is not kept once curated, contribution.proto), ``content_hash`` is the hash
the contributor signed and ``curated_content_hash`` the hash of ``content``.

The JSON form of a record is one line of the snapshot's JSON Lines file (snapshot.proto): the
canonical JSON (RFC 8785) of ``{"index", "record_id", "contributor", "content",
"content_hash", "curated_content_hash", "signature", "leaf_hash"}`` with hashes and the
signature as 0x-prefixed lowercase hex.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from eth_utils.address import to_checksum_address

from openledger_datanet.domain.canonical import canonical_json, canonical_value, content_hash
from openledger_datanet.domain.merkle import MERKLE_SCHEME, MerkleTree, leaf_hash
from openledger_kit.errors import InvalidArgument

__all__ = [
    "MERKLE_SCHEME",
    "AcceptedRecord",
    "InclusionProof",
    "SnapshotRecord",
    "SnapshotStats",
    "number_records",
]


@dataclass(frozen=True)
class AcceptedRecord:
    """An ACCEPTED contribution as storage holds it, before it is placed in a snapshot."""

    accept_sequence: int
    record_id: str
    contributor: str
    content: Mapping[str, object]
    """The curated content."""
    content_hash: bytes
    curated_content_hash: bytes
    signature: bytes


@dataclass(frozen=True)
class SnapshotRecord:
    """Record ``index`` of a snapshot, with its Merkle leaf."""

    index: int
    record_id: str
    contributor: str
    """EIP-55 checksummed address."""
    content: Mapping[str, object]
    """The curated content (what the snapshot exports and trains on)."""
    content_hash: bytes
    """keccak256 of the canonical JSON of the content as submitted and signed."""
    curated_content_hash: bytes
    """keccak256 of the canonical JSON of ``content``."""
    signature: bytes
    """The contributor's EIP-191 signature over ``content_hash`` (65 bytes)."""
    leaf_hash: bytes

    # Names from the shared brief's interface, kept as aliases.
    @property
    def curated_content(self) -> Mapping[str, object]:
        return self.content

    @property
    def curated_hash(self) -> bytes:
        return self.curated_content_hash

    @property
    def leaf(self) -> bytes:
        return self.leaf_hash

    @classmethod
    def build(
        cls,
        index: int,
        record_id: str,
        contributor: str,
        content: Mapping[str, object],
        content_hash: bytes,
        curated_content_hash: bytes,
        signature: bytes,
    ) -> SnapshotRecord:
        """A record with its leaf computed from the fields."""
        return cls(
            index=index,
            record_id=record_id,
            contributor=str(to_checksum_address(contributor)),
            content=content,
            content_hash=content_hash,
            curated_content_hash=curated_content_hash,
            signature=signature,
            leaf_hash=leaf_hash(index, record_id, contributor, content_hash, curated_content_hash),
        )

    def expected_leaf(self) -> bytes:
        """The leaf recomputed from the record's fields (not trusting ``leaf_hash``)."""
        return leaf_hash(
            self.index,
            self.record_id,
            self.contributor,
            self.content_hash,
            self.curated_content_hash,
        )

    def verify(self) -> None:
        """Check that the curated hash matches the content and the leaf matches the fields.

        Raises ``InvalidArgument`` naming the first field that does not match. (The signature
        is over ``content_hash`` of the submitted original, which a snapshot does not carry
        when curation changed the content; ``openledger_kit.auth.signer`` checks it.)
        """
        if content_hash(self.content) != self.curated_content_hash:
            raise InvalidArgument(
                "curated_content_hash",
                f"record {self.index} ({self.record_id}): content does not hash to it",
            )
        if self.expected_leaf() != self.leaf_hash:
            raise InvalidArgument(
                "leaf_hash", f"record {self.index} ({self.record_id}): leaf does not match"
            )

    def canonical_content(self) -> bytes:
        """The canonical JSON of ``content`` (the Parquet ``content`` column)."""
        return canonical_json(self.content)

    def to_json(self) -> dict[str, object]:
        """The JSON object of one JSON Lines line."""
        return {
            "index": self.index,
            "record_id": self.record_id,
            "contributor": self.contributor,
            "content": self.content,
            "content_hash": _hex(self.content_hash),
            "curated_content_hash": _hex(self.curated_content_hash),
            "signature": _hex(self.signature),
            "leaf_hash": _hex(self.leaf_hash),
        }

    def to_json_line(self) -> bytes:
        """One line of the snapshot's JSON Lines file: canonical JSON and ``\\n``."""
        return canonical_value(self.to_json()) + b"\n"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SnapshotRecord:
        """Read the object of one JSON Lines line (inverse of ``to_json``)."""
        try:
            content = data["content"]
            if not isinstance(content, Mapping):
                raise InvalidArgument("content", "expected a JSON object")
            return cls(
                index=int(data["index"]),
                record_id=str(data["record_id"]),
                contributor=str(data["contributor"]),
                content=content,
                content_hash=_unhex(data["content_hash"]),
                curated_content_hash=_unhex(data["curated_content_hash"]),
                signature=_unhex(data["signature"]),
                leaf_hash=_unhex(data["leaf_hash"]),
            )
        except KeyError as missing:
            raise InvalidArgument(str(missing.args[0]), "missing from a snapshot record") from None


@dataclass
class SnapshotStats:
    """Counts a snapshot reports, accumulated record by record."""

    record_count: int = 0
    content_bytes: int = 0
    contributors: set[str] = field(default_factory=set)

    @property
    def contributor_count(self) -> int:
        return len(self.contributors)

    def add(self, record: SnapshotRecord) -> None:
        self.record_count += 1
        self.content_bytes += len(record.canonical_content())
        self.contributors.add(record.contributor)


@dataclass(frozen=True)
class InclusionProof:
    """Proof that ``record`` is leaf ``record.index`` of a snapshot's tree (snapshot.proto)."""

    record: SnapshotRecord
    sibling_hashes: tuple[bytes, ...]
    merkle_root: bytes
    record_count: int
    merkle_scheme: str = MERKLE_SCHEME

    @property
    def leaf_index(self) -> int:
        return self.record.index

    @property
    def leaf_hash(self) -> bytes:
        return self.record.leaf_hash

    def verify(self) -> bool:
        """Recompute the leaf from the record's fields and fold it up to the root."""
        return self.record.expected_leaf() == self.record.leaf_hash and MerkleTree.verify(
            self.record.leaf_hash, self.sibling_hashes, self.merkle_root
        )


def number_records(accepted: Iterable[AcceptedRecord]) -> Iterator[SnapshotRecord]:
    """Place accepted records in a snapshot: index 0, 1, ... in the order given, which must
    be strictly ascending ``accept_sequence`` (the deterministic snapshot order)."""
    previous = 0
    for index, record in enumerate(accepted):
        if record.accept_sequence <= previous:
            raise InvalidArgument(
                "accept_sequence",
                f"records must come in ascending accept_sequence: {record.accept_sequence} "
                f"after {previous}",
            )
        previous = record.accept_sequence
        yield SnapshotRecord.build(
            index,
            record.record_id,
            record.contributor,
            record.content,
            record.content_hash,
            record.curated_content_hash,
            record.signature,
        )


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _unhex(value: object) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise InvalidArgument("record", f"expected 0x-prefixed hex, got {str(value)[:80]!r}")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise InvalidArgument("record", f"not hex: {value[:80]!r}") from None
