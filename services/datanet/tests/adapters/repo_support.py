"""Builders shared by the storage tests: datanets, signed-looking records and curation
outcomes (the repository stores signatures; checking them is the service's job)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from eth_utils.address import to_checksum_address

from openledger_datanet.adapters.repository import Repository
from openledger_datanet.domain.canonical import canonical_json, content_hash
from openledger_datanet.domain.curation import (
    Metrics,
    Outcome,
    PiiType,
    Policy,
    Reason,
    Redaction,
    Rejection,
)
from openledger_datanet.domain.model import Datanet, NewContribution, new_id

ALICE = "0x1111111111111111111111111111111111111111"
BOB = "0x2222222222222222222222222222222222222222"
CAROL = "0x000000000000000000000000000000000000bEEF"
CURATOR = str(to_checksum_address("0x" + "ab" * 20))


def make_datanet(
    repo: Repository, datanet_id: str = "medicine", *, domain: str = "medicine", **policy: object
) -> Datanet:
    return repo.create_datanet(
        Datanet(
            id=datanet_id,
            display_name=datanet_id.title(),
            domain=domain,
            description="records about " + domain,
            record_schema={"type": "object", "required": ["text"]},
            policy=dataclasses.replace(Policy.default(), **policy),  # type: ignore[arg-type]
            stake_required=10**18,
            curator=CURATOR,
        )
    )


def record(text: str, contributor: str = ALICE) -> NewContribution:
    content = {"text": text, "lang": "en"}
    return NewContribution(
        id=new_id(),
        contributor=contributor,
        content=content,
        content_hash=content_hash(content),
        signature=content_hash(content) + content_hash(content) + b"\x1b",
        content_size_bytes=len(canonical_json(content)),
    )


def records(count: int, contributor: str = ALICE, prefix: str = "text") -> list[NewContribution]:
    return [record(f"{prefix} {i}", contributor) for i in range(count)]


def accept(text: str) -> Outcome:
    curated: dict[str, object] = {"text": text.strip(), "lang": "en"}
    return Outcome(
        accepted=True,
        rejections=(),
        curated=curated,
        redactions=(),
        metrics=Metrics(language="en", language_confidence=0.9, length_chars=len(text)),
        exact_key=content_hash(curated)[::-1],
        minhash=b"\x01\x02" * 64,
        embedding=b"\x00\x00\x80\x3f" * 4,
    )


def reject(*reasons: Reason, curated: dict[str, object] | None = None) -> Outcome:
    return Outcome(
        accepted=False,
        rejections=tuple(
            Rejection(reason, f"failed {reason.value}", observed=0.5, limit=0.4)
            for reason in reasons
        ),
        curated=curated if curated is not None else {"text": "rejected", "lang": "en"},
        redactions=(Redaction("/text", PiiType.EMAIL_ADDRESS, 1, "[EMAIL_ADDRESS]"),),
        metrics=Metrics(quality_score=0.1),
        exact_key=b"",
        minhash=b"",
    )


def texts(items: Sequence[object]) -> list[str]:
    return [str(getattr(item, "content", {}).get("text")) for item in items]
