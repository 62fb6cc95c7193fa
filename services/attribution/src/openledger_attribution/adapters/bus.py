"""Attribution's edges on the event bus: ``CompletionRecorded`` in (validated into a
``CompletionInput``; an event that cannot be valid goes to the dead-letter stream), and
``AttributionSettled`` out on ``ol:attribution:result:v1``, once per settlement."""

from __future__ import annotations

import uuid
from datetime import UTC

from redis.asyncio import Redis

from openledger.events.v1 import attribution_events_pb2 as events
from openledger.events.v1 import inference_events_pb2 as inference
from openledger_attribution.domain.model import Attribution, CompletionInput, Settlement
from openledger_attribution.domain.policy import Method
from openledger_attribution.settlement.payouts import checksummed
from openledger_kit.bus import DEFAULT_MAXLEN, EventContext, Published, Publisher, catalogue
from openledger_kit.bus.deadletter import dead_letter_fields
from openledger_kit.bus.envelope import ENVELOPE_FIELD
from openledger_kit.errors import FailedPrecondition, InvalidArgument
from openledger_kit.store import Digest, ObjectStore
from openledger_kit.values_proto import chain_tx_message, timestamp

COMPLETION_STREAM = catalogue.INFERENCE_COMPLETION
RESULT_STREAM = catalogue.ATTRIBUTION_RESULT
MAX_NEGATIVE = 100
"""AttributionSettled.negative_influences: at most 100, and as many contributions each."""

_FINISH_PREFIX = "COMPLETION_FINISH_REASON_"
_SETTLEMENT_METHODS = {
    Method.SPAN: events.SETTLEMENT_METHOD_SPAN,
    Method.GRADIENT: events.SETTLEMENT_METHOD_GRADIENT,
    Method.COMBINED: events.SETTLEMENT_METHOD_COMBINED,
}
_SHA256_BYTES = 32


# ---------------------------------------------------------------- CompletionRecorded


def completion_from_event(event: inference.CompletionRecorded) -> CompletionInput:
    """The completion an event describes; ``InvalidArgument`` naming the field when the event
    cannot be settled as it stands (no retry would change that)."""
    try:
        uuid.UUID(event.inference_id)
    except ValueError:
        raise InvalidArgument("inference_id", f"not a UUID: {event.inference_id!r}") from None
    if event.adapter:
        adapter_id, at, version = event.adapter.partition("@")
        if not (adapter_id and at and version.isdigit()):
            raise InvalidArgument("adapter", f"not {{adapter_id}}@{{version}}: {event.adapter!r}")
        if len(event.adapter_sha256) != _SHA256_BYTES:
            raise InvalidArgument("adapter_sha256", "must be 32 bytes when an adapter is set")
    elif event.adapter_sha256:
        raise InvalidArgument("adapter_sha256", "must be empty for a base-model-only completion")
    if not event.base_model:
        raise InvalidArgument("base_model", "is required")
    payer = checksummed(event.payer_address, "payer_address") if event.payer_address else ""
    if not event.fee.isdigit() or (len(event.fee) > 1 and event.fee[0] == "0"):
        raise InvalidArgument("fee", f"not a decimal integer of wei: {event.fee!r}")
    if event.finish_reason == inference.COMPLETION_FINISH_REASON_UNSPECIFIED:
        raise InvalidArgument("finish_reason", "is required")
    if event.prompt_token_count != len(event.prompt_token_ids):
        raise InvalidArgument("prompt_token_count", "differs from len(prompt_token_ids)")
    if event.output_token_count != len(event.output_token_ids):
        raise InvalidArgument("output_token_count", "differs from len(output_token_ids)")
    if not event.HasField("complete_time"):
        raise InvalidArgument("complete_time", "is required")
    return CompletionInput(
        inference_id=event.inference_id,
        adapter=event.adapter,
        adapter_sha256=bytes(event.adapter_sha256),
        base_model=event.base_model,
        payer=payer,
        prompt_ids=tuple(event.prompt_token_ids),
        output_ids=tuple(event.output_token_ids),
        fee=int(event.fee),
        finish_reason=inference.CompletionFinishReason.Name(event.finish_reason).removeprefix(
            _FINISH_PREFIX
        ),
        complete_time=event.complete_time.ToDatetime(tzinfo=UTC),
    )


async def dead_letter(redis: Redis, ctx: EventContext, error: str) -> None:
    """Move the entry being handled to its stream's dead-letter stream, as the kit consumer
    does with undecodable ones, so that the handler can then acknowledge it. (The kit would
    dead-letter a failing handler's entry only after ``max_deliveries`` retries, each one a
    visibility timeout apart, for an event no retry can fix.)"""
    stream = catalogue.stream_for_key(ctx.stream)
    await redis.xadd(
        stream.dead_letter_key,
        dead_letter_fields(
            {ENVELOPE_FIELD: ctx.envelope.SerializeToString()},
            origin_id=ctx.entry_id,
            group=ctx.group,
            consumer=ctx.consumer,
            deliveries=ctx.delivery_count,
            error=error,
        ),
        maxlen=DEFAULT_MAXLEN,
        approximate=True,
    )


# ---------------------------------------------------------------- AttributionSettled


def settled_event_id(settlement: Settlement) -> str:
    """One event per settlement: a re-publication after a crash is a duplicate consumers skip."""
    return f"settlement:{settlement.settlement_id}"


def settled_message(
    attribution: Attribution, settlement: Settlement, *, evidence_uri: str
) -> events.AttributionSettled:
    """The event of a CONFIRMED settlement of ``attribution``."""
    if settlement.transaction is None or settlement.confirm_time is None:
        raise FailedPrecondition(
            f"settlement {settlement.settlement_id} is not confirmed", reason="NOT_CONFIRMED"
        )
    split = settlement.fee_split
    shares = {c.address: c.share for c in attribution.contributors}
    message = events.AttributionSettled(
        inference_id=attribution.inference_id,
        attribution=attribution.name,
        settlement=settlement.name,
        adapter=attribution.adapter,
        method=(
            events.SETTLEMENT_METHOD_UNSPECIFIED
            if attribution.method is None
            else _SETTLEMENT_METHODS[attribution.method]
        ),
        snapshot=attribution.snapshot,
        snapshot_merkle_root=attribution.snapshot_merkle_root,
        threshold_bps=attribution.threshold_bps,
        payouts=[
            events.SettledPayout(
                contributor_address=address, amount=str(amount), share=shares.get(address, 0.0)
            )
            for address, amount in settlement.payouts
            if amount > 0
        ],
        fee=str(split.fee),
        contributors_bps=split.bps.contributors_bps,
        contributors_amount=str(split.contributors_amount),
        model_owner_bps=split.bps.model_owner_bps,
        model_owner_amount=str(split.model_owner_amount),
        model_owner_address=split.model_owner_address,
        protocol_bps=split.bps.protocol_bps,
        protocol_amount=str(split.protocol_amount),
        protocol_address=split.protocol_address,
        evidence_hash=settlement.evidence_hash,
        evidence_uri=evidence_uri,
        transaction=chain_tx_message(settlement.transaction),
        negative_influences=[
            events.NegativeInfluence(
                contributor_address=negative.address,
                score=negative.score,
                contributions=negative.contributions[:MAX_NEGATIVE],
            )
            for negative in sorted(attribution.negative, key=lambda n: (n.score, n.address))[
                :MAX_NEGATIVE
            ]
        ],
    )
    message.settle_time.CopyFrom(timestamp(settlement.confirm_time))
    return message


class SettledPublisher:
    """Publishes ``AttributionSettled`` with the evidence's address in ``store``."""

    def __init__(self, publisher: Publisher, store: ObjectStore) -> None:
        self._publisher = publisher
        self._store = store

    async def publish(self, attribution: Attribution, settlement: Settlement) -> Published:
        message = settled_message(
            attribution,
            settlement,
            evidence_uri=(
                self._store.location(Digest(attribution.evidence_digest))
                if attribution.evidence_digest
                else ""
            ),
        )
        return await self._publisher.publish(
            RESULT_STREAM, message, event_id=settled_event_id(settlement)
        )
