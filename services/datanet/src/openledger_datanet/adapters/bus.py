"""The datanet's events on the bus: ``ContributionSubmitted`` and ``ContributionCurated`` on
``ol:datanet:contribution:v1``, ``SnapshotPublished`` on ``ol:datanet:snapshot:v1``.

Event ids are derived from what the event is about (``submitted:<contribution id>``,
``curated:<contribution id>``, ``snapshot:<datanet>:<sequence>``), so publishing the same fact
twice (a retry, a re-publish of PENDING contributions at start-up) is recognised as one event by
every consumer.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from openledger.events.v1 import datanet_events_pb2 as events
from openledger_datanet.domain.model import (
    Contribution,
    ContributionStatus,
    Snapshot,
    contribution_name,
    datanet_name,
)
from openledger_kit.bus import Publisher, catalogue
from openledger_kit.values_proto import chain_tx_message, object_ref_message, timestamp

CONTRIBUTION_STREAM = catalogue.DATANET_CONTRIBUTION
SNAPSHOT_STREAM = catalogue.DATANET_SNAPSHOT


def submitted_event_id(contribution_id: str) -> str:
    return f"submitted:{contribution_id}"


def curated_event_id(contribution_id: str) -> str:
    return f"curated:{contribution_id}"


def snapshot_event_id(datanet_id: str, sequence: int) -> str:
    return f"snapshot:{datanet_id}:{sequence}"


def submitted_message(contribution: Contribution) -> events.ContributionSubmitted:
    return events.ContributionSubmitted(
        contribution=contribution.name,
        datanet=datanet_name(contribution.datanet_id),
        contributor_address=contribution.contributor,
        content_hash=contribution.content_hash,
        content_size_bytes=contribution.content_size_bytes,
        submit_time=timestamp(contribution.create_time),
    )


def curated_message(
    contribution: Contribution, *, penalty_triggered: bool = False
) -> events.ContributionCurated:
    accepted = contribution.status is ContributionStatus.ACCEPTED
    message = events.ContributionCurated(
        contribution=contribution.name,
        datanet=datanet_name(contribution.datanet_id),
        contributor_address=contribution.contributor,
        content_hash=contribution.content_hash,
        curated_content_hash=contribution.curated_content_hash,
        decision=events.CURATION_DECISION_ACCEPTED
        if accepted
        else events.CURATION_DECISION_REJECTED,
        accept_sequence=contribution.accept_sequence,
        datanet_revision=contribution.datanet_revision,
        penalty_triggered=penalty_triggered,
    )
    if not accepted:
        message.rejection_reasons.extend(
            f"REJECTION_REASON_{rejection.reason}" for rejection in contribution.rejections
        )
        message.rejection_message = "; ".join(r.detail for r in contribution.rejections)[:1000]
        duplicate = next((r.duplicate_of for r in contribution.rejections if r.duplicate_of), "")
        if duplicate:
            message.duplicate_of = contribution_name(contribution.datanet_id, duplicate)
    if contribution.metrics is not None and contribution.metrics.quality_score > 0:
        message.quality_score = contribution.metrics.quality_score
    if contribution.curate_time is not None:
        message.curate_time.CopyFrom(timestamp(contribution.curate_time))
    return message


def snapshot_message(snapshot: Snapshot) -> events.SnapshotPublished:
    message = events.SnapshotPublished(
        snapshot=snapshot.name,
        datanet=datanet_name(snapshot.datanet_id),
        sequence=snapshot.sequence,
        merkle_root=snapshot.merkle_root,
        merkle_scheme="openledger.datanet.merkle.v1",
        record_count=snapshot.record_count,
        contributor_count=snapshot.contributor_count,
        cutoff_accept_sequence=snapshot.cutoff_accept_sequence,
        create_time=timestamp(snapshot.create_time),
    )
    if snapshot.jsonl is not None:
        message.jsonl.CopyFrom(object_ref_message(snapshot.jsonl))
    if snapshot.parquet is not None:
        message.parquet.CopyFrom(object_ref_message(snapshot.parquet))
    if snapshot.anchor is not None:
        message.anchor.CopyFrom(chain_tx_message(snapshot.anchor))
    if snapshot.end_time is not None:
        message.publish_time.CopyFrom(timestamp(snapshot.end_time))
    return message


class EventPublisher:
    """Publishes the datanet's events (see the module docstring for the event ids)."""

    def __init__(
        self, redis: Redis, *, source: str, registry: CollectorRegistry | None = None
    ) -> None:
        self._publisher = Publisher(redis, source=source, registry=registry)

    async def contributions_submitted(self, contributions: Sequence[Contribution]) -> None:
        if not contributions:
            return
        await self._publisher.publish_many(
            CONTRIBUTION_STREAM,
            [submitted_message(c) for c in contributions],
            event_ids=[submitted_event_id(c.id) for c in contributions],
        )

    async def contributions_curated(
        self, contributions: Sequence[tuple[Contribution, bool]]
    ) -> None:
        """Publish one ``ContributionCurated`` per (contribution, penalty_triggered)."""
        if not contributions:
            return
        await self._publisher.publish_many(
            CONTRIBUTION_STREAM,
            [curated_message(c, penalty_triggered=p) for c, p in contributions],
            event_ids=[curated_event_id(c.id) for c, _ in contributions],
        )

    async def snapshot_published(self, snapshot: Snapshot) -> None:
        await self._publisher.publish(
            SNAPSHOT_STREAM,
            snapshot_message(snapshot),
            event_id=snapshot_event_id(snapshot.datanet_id, snapshot.sequence),
        )
