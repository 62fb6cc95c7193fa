"""The repository on real SQLite files: migrations, idempotent creation, owner limits,
updates with gapless sequences, atomic claims, run state, adapters and pagination."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from openledger_kit.db import alembic_config, current_revision, head_revision
from openledger_kit.db.migrations import CONNECTION_ATTRIBUTE
from openledger_kit.errors import AlreadyExists, InvalidArgument, NotFound, ResourceExhausted
from openledger_modelfactory.adapters.repository import MIGRATIONS, Repository
from openledger_modelfactory.adapters.repository.tables import metadata
from openledger_modelfactory.domain.model import (
    Adapter,
    AdapterMetrics,
    ChainTx,
    Checkpoint,
    JobPhase,
    JobState,
    ObjectRef,
    SnapshotLineage,
    TxStatus,
    utcnow,
)
from openledger_modelfactory.domain.runner import Change, RunState
from openledger_modelfactory.training.events import RunFinished, StoredFile

from ..domain.job_support import ALICE, BOB, ROOT, SNAPSHOT, make_job, resolved_config


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state' / 'modelfactory.db'}"


@pytest.fixture
def repo(db_url: str) -> Iterator[Repository]:
    repository = Repository.open(db_url)
    yield repository
    repository.close()


def _ref(name: str, fill: str) -> ObjectRef:
    return ObjectRef(f"file:///objects/{name}", bytes.fromhex(fill * 32), 10, "application/json")


def make_adapter(
    adapter_id: str = "medical-qa",
    version: int = 1,
    *,
    owner: str = ALICE,
    job_id: str = "j1",
    base_model: str = "tiny-llama",
    snapshot: str = SNAPSHOT,
    offset: timedelta = timedelta(0),
) -> Adapter:
    return Adapter(
        adapter_id=adapter_id,
        version=version,
        base_model=base_model,
        base_model_revision="00" * 32,
        snapshots=(SnapshotLineage(snapshot, ROOT, 10),),
        training_job=job_id,
        config=resolved_config(adapter_id=adapter_id),
        prompt_template="{{ instruction }}",
        metrics=AdapterMetrics(1.5, 1.6, 4.95, 9, 1, 900, 3, 12.5, {"eval_token_accuracy": 0.4}),
        adapter_sha256=bytes.fromhex("cd" * 32),
        trainable_parameters=1024,
        adapter_model=_ref("model", "cd"),
        adapter_config=_ref("config", "ce"),
        lineage_manifest=_ref("lineage", "cf"),
        attribution_features=None,
        registration=ChainTx(31337, "0x" + "11" * 20, b"\x01" * 32, TxStatus.SUCCEEDED, 7),
        owner=owner,
        fee_per_1k_tokens=3 * 10**18,
        create_time=utcnow() + offset,
    )


def test_migrations_from_empty_match_the_models(db_url: str) -> None:
    repo = Repository.open(db_url, migrate=False)
    assert current_revision(repo.engine) is None
    repo.migrate()
    assert current_revision(repo.engine) == head_revision(MIGRATIONS) == "0001"
    assert {"jobs", "job_updates", "job_runs", "adapters"} <= set(
        inspect(repo.engine).get_table_names()
    )
    with repo.engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), metadata
        )
    assert diff == []
    config = alembic_config(MIGRATIONS)
    with repo.engine.begin() as connection:
        config.attributes[CONNECTION_ATTRIBUTE] = connection
        command.downgrade(config, "base")
    assert set(inspect(repo.engine).get_table_names()) == {"alembic_version"}
    repo.close()


def test_create_round_trips_and_is_idempotent_by_request_id(repo: Repository) -> None:
    job = make_job(request_id="r-1", request_hash=b"\x01" * 32)
    created, update = repo.create_job(job, message="queued")
    assert update is not None and update.sequence == 1 and update.state is JobState.QUEUED
    assert update.message == "queued"
    assert created == replace(job, sequence=1)
    assert repo.get_job(job.id) == created
    assert repo.last_update(job.id) == update == repo.get_update(job.id, 1)

    again, none = repo.create_job(replace(make_job(), request_id="r-1", request_hash=b"\x01" * 32))
    assert none is None and again.id == job.id
    assert repo.job_by_request("r-1", b"\x01" * 32) == created
    assert repo.job_by_request("r-2", b"\x01" * 32) is None
    with pytest.raises(AlreadyExists) as reused:
        repo.create_job(replace(make_job(), request_id="r-1", request_hash=b"\x02" * 32))
    assert reused.value.reason == "REQUEST_ID_REUSED"
    with pytest.raises(NotFound):
        repo.get_job("nope")


def test_owner_limit_counts_active_jobs_only(repo: Repository) -> None:
    first, _ = repo.create_job(make_job(), max_active_per_owner=2)
    repo.create_job(make_job(), max_active_per_owner=2)
    with pytest.raises(ResourceExhausted):
        repo.create_job(make_job(), max_active_per_owner=2)
    repo.create_job(make_job(owner=BOB), max_active_per_owner=2)
    assert repo.count_active_jobs(ALICE) == 2
    repo.update_job(first.id, lambda j: Change(replace(j, state=JobState.CANCELLED)))
    assert repo.count_active_jobs(ALICE) == 1
    repo.create_job(make_job(), max_active_per_owner=2)


def test_updates_get_gapless_sequences_and_terminal_jobs_are_done(repo: Repository) -> None:
    job, _ = repo.create_job(make_job())
    checkpoint = Checkpoint(step=4, epoch=0.5, loss=2.0, uri="file:///ckpt/4", create_time=utcnow())
    changed, update = repo.update_job(
        job.id,
        lambda j: Change(replace(j, latest_checkpoint=checkpoint), "saved", checkpoint),
        run=RunState(handle="local:1", channel_after="5-0"),
    )
    assert update is not None and update.sequence == changed.sequence == 2
    assert update.checkpoint == checkpoint and changed.latest_checkpoint == checkpoint
    assert repo.get_run(job.id) == RunState(handle="local:1", channel_after="5-0")
    same, nothing = repo.update_job(job.id, lambda j: None, run=RunState(handle="x"))
    assert nothing is None and same == changed
    assert repo.get_run(job.id).handle == "local:1"
    done, last = repo.update_job(job.id, lambda j: Change(replace(j, state=JobState.FAILED)))
    assert last is not None and last.sequence == 3 and done.phase is JobPhase.DONE
    assert [u.sequence for u in repo.updates_after(job.id, 0)] == [1, 2, 3]
    assert [u.sequence for u in repo.updates_after(job.id, 2)] == [3]


def test_run_state_keeps_the_finished_message(repo: Repository) -> None:
    job, _ = repo.create_job(make_job())
    finished = RunFinished(
        files={"adapter_model.safetensors": StoredFile("cd" * 32, 10, "application/octet-stream")},
        train_loss=1.0,
        eval_loss=1.1,
        train_examples=9,
        eval_examples=1,
        train_tokens=100,
        steps=3,
        train_duration_seconds=2.0,
        trainable_parameters=1024,
        prompt_template="t",
    )
    run = RunState("local:1", "9-0", finished, 2, b"\x07" * 32, launched_attempt=3)
    repo.save_run(job.id, run)
    assert repo.get_run(job.id) == run


def test_claims_hand_each_queued_job_to_one_claimer(repo: Repository) -> None:
    jobs = [repo.create_job(make_job())[0] for _ in range(6)]

    def claim() -> str | None:
        claimed = repo.claim_next_job(
            lambda j: Change(replace(j, state=JobState.RUNNING, phase=JobPhase.TRAINING))
        )
        return claimed[0].id if claimed else None

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: claim(), range(8)))
    claimed = [r for r in results if r is not None]
    assert sorted(claimed) == sorted(j.id for j in jobs)
    assert results.count(None) == 2
    assert all(j.state is JobState.RUNNING for j in repo.jobs_in_state(JobState.RUNNING))
    assert repo.jobs_in_state(JobState.QUEUED) == []


def test_list_jobs_filters_and_pages(repo: Repository) -> None:
    for i in range(5):
        repo.create_job(make_job(owner=ALICE if i % 2 == 0 else BOB))
    other = make_job(config=resolved_config(adapter_id="legal-qa"))
    repo.create_job(other)
    page = repo.list_jobs(owner=ALICE, page_size=2)
    assert page.total_size == 4 and len(page.items) == 2 and page.next_page_token
    rest = repo.list_jobs(owner=ALICE, page_size=2, page_token=page.next_page_token)
    ids = [j.id for j in page.items] + [j.id for j in rest.items]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4
    assert repo.list_jobs(adapter_id="legal-qa", page_size=5).items[0].id == other.id
    assert repo.list_jobs(states=[JobState.QUEUED], page_size=10).total_size == 6
    assert repo.list_jobs(states=[JobState.RUNNING], page_size=10).total_size == 0
    assert repo.list_jobs(base_model="tiny-llama", snapshot=SNAPSHOT, page_size=1).total_size == 6
    with pytest.raises(InvalidArgument) as other_filters:
        repo.list_jobs(owner=BOB, page_size=2, page_token=page.next_page_token)
    assert other_filters.value.field == "page_token"
    with pytest.raises(InvalidArgument):
        repo.list_jobs(page_size=2, page_token="not-a-token")


def test_adapters_versions_owner_and_latest(repo: Repository) -> None:
    v1 = repo.create_adapter(make_adapter(version=1, job_id="j1"))
    assert repo.create_adapter(make_adapter(version=1, job_id="j1")) == v1
    with pytest.raises(AlreadyExists):
        repo.create_adapter(make_adapter(version=1, job_id="j2"))
    repo.create_adapter(make_adapter(version=2, job_id="j2", offset=timedelta(seconds=1)))
    repo.create_adapter(
        make_adapter("legal-qa", 1, owner=BOB, job_id="j3", offset=timedelta(seconds=2))
    )
    assert repo.get_adapter("medical-qa", 1) == v1
    assert repo.get_adapter("medical-qa").version == 2
    assert repo.latest_adapter_version("medical-qa") == 2
    assert repo.latest_adapter_version("unknown") == 0
    assert repo.adapter_owner("medical-qa") == ALICE
    assert repo.adapter_owner("legal-qa") == BOB
    assert repo.adapter_owner("unknown") is None
    with pytest.raises(NotFound) as missing:
        repo.get_adapter("medical-qa", 9)
    assert missing.value.reason == "ADAPTER_NOT_FOUND"

    everything = repo.list_adapters(page_size=10)
    assert [a.ref for a in everything.items] == ["legal-qa@1", "medical-qa@2", "medical-qa@1"]
    latest = repo.list_adapters(latest_only=True, page_size=1)
    assert latest.total_size == 2 and [a.ref for a in latest.items] == ["legal-qa@1"]
    second = repo.list_adapters(latest_only=True, page_size=1, page_token=latest.next_page_token)
    assert [a.ref for a in second.items] == ["medical-qa@2"] and second.next_page_token == ""
    assert repo.list_adapters(owner=BOB, page_size=5).total_size == 1
    assert (
        repo.list_adapters(snapshot=SNAPSHOT, base_model="tiny-llama", page_size=5).total_size == 3
    )
    assert repo.list_adapters(adapter_id="medical-qa", page_size=5).total_size == 2


def test_adapter_and_job_are_stored_together(repo: Repository) -> None:
    job, _ = repo.create_job(make_job())
    adapter = make_adapter(job_id=job.id)
    done, update = repo.update_job(
        job.id,
        lambda j: Change(replace(j, state=JobState.SUCCEEDED, adapter=adapter.ref)),
        adapter=adapter,
    )
    assert update is not None and update.adapter == "medical-qa@1"
    assert repo.get_adapter("medical-qa", 1).training_job == job.id
    assert done.state is JobState.SUCCEEDED
