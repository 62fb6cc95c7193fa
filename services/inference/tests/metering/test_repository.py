"""The completion outbox on real SQLite files: migrations match the models, completions round
trip, request ids answer within their 24 h window and per payer, and the publish state."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from openledger_inference.adapters.repository import MIGRATIONS, Repository
from openledger_inference.adapters.repository.tables import metadata
from openledger_inference.domain.ledger import IDEMPOTENCY_WINDOW
from openledger_inference.domain.model import (
    AdapterRef,
    Completion,
    FeeRate,
    FinishReason,
    Timings,
    Usage,
)
from openledger_inference.domain.node import new_inference_id
from openledger_kit.db import alembic_config, current_revision, head_revision
from openledger_kit.db.migrations import CONNECTION_ATTRIBUTE

PAYER = "0x" + "11" * 20
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[Repository]:
    repo = Repository.open(f"sqlite:///{tmp_path / 'node.db'}")
    yield repo
    repo.close()


def completion(created: datetime = NOW, payer: str = PAYER) -> Completion:
    return Completion(
        inference_id=new_inference_id(),
        adapter=AdapterRef("legal-qa", 3),
        adapter_sha256=b"\x07" * 32,
        base_model="tiny-llama",
        node="nodes/n1",
        provider_address="0x" + "22" * 20,
        payer_address=payer,
        prompt_token_ids=(1, 2, 3),
        output_token_ids=(4, 5),
        output_text="日本",
        finish_reason=FinishReason.STOP,
        matched_stop_sequence="###",
        usage=Usage(3, 2, 2**200, FeeRate(2**210, 42)),
        timings=Timings(created, created, None, created + timedelta(seconds=1)),
    )


def test_migrations_from_empty_match_the_models(tmp_path: Path) -> None:
    repo = Repository.open(f"sqlite:///{tmp_path / 'fresh.db'}", migrate=False)
    assert current_revision(repo.engine) is None
    repo.migrate()
    assert current_revision(repo.engine) == head_revision(MIGRATIONS) == "0001"
    with repo.engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), metadata
        )
    assert diff == []
    config = alembic_config(MIGRATIONS)
    with repo.engine.begin() as connection:
        config.attributes[CONNECTION_ATTRIBUTE] = connection
        command.downgrade(config, "base")
    repo.close()


async def test_a_completion_round_trips(repository: Repository) -> None:
    value = completion()
    assert await repository.add(value, "req-1", NOW - IDEMPOTENCY_WINDOW) == value
    assert await repository.find(PAYER, "req-1", NOW - IDEMPOTENCY_WINDOW) == value
    base_only = replace(completion(), adapter=None, adapter_sha256=b"")
    await repository.add(base_only, "", NOW - IDEMPOTENCY_WINDOW)
    assert [c.inference_id for c in await repository.unpublished(10)] == [
        value.inference_id,
        base_only.inference_id,
    ]
    assert (await repository.unpublished(10))[1] == base_only


async def test_a_request_id_names_one_completion_per_payer_within_its_window(
    repository: Repository,
) -> None:
    since = NOW - IDEMPOTENCY_WINDOW
    first = completion()
    await repository.add(first, "req", since)
    # A second completion for the same key is not stored: the first answers.
    assert await repository.add(completion(), "req", since) == first
    other_payer = completion(payer="0x" + "33" * 20)
    assert await repository.add(other_payer, "req", since) == other_payer
    # A day later the key is free again.
    later = NOW + IDEMPOTENCY_WINDOW + timedelta(seconds=2)
    assert await repository.find(PAYER, "req", later - IDEMPOTENCY_WINDOW) is None
    fresh = completion(created=later)
    assert await repository.add(fresh, "req", later - IDEMPOTENCY_WINDOW) == fresh
    assert await repository.find(PAYER, "req", later - IDEMPOTENCY_WINDOW) == fresh


async def test_published_completions_leave_the_outbox(repository: Repository) -> None:
    since = NOW - IDEMPOTENCY_WINDOW
    a, b = completion(), completion(created=NOW + timedelta(seconds=1))
    await repository.add(a, "", since)
    await repository.add(b, "", since)
    await repository.mark_published(a.inference_id, NOW)
    await repository.mark_published(a.inference_id, NOW + timedelta(hours=1))
    assert [c.inference_id for c in await repository.unpublished(10)] == [b.inference_id]
