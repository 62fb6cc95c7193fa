"""The repository on real SQLite files (WAL): migrations, CRUD, pagination, idempotency,
exactly-once outcomes under concurrency, the slashing window, snapshots and restarts."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from openledger_datanet.adapters.db import metadata
from openledger_datanet.adapters.repository import (
    MIGRATIONS,
    OutcomeToRecord,
    RecordedOutcome,
    Repository,
)
from openledger_datanet.domain.canonical import content_hash
from openledger_datanet.domain.curation import Outcome, PiiType, Reason
from openledger_datanet.domain.merkle import MerkleTree
from openledger_datanet.domain.model import (
    ChainTx,
    ContributionStatus,
    DatanetState,
    JobState,
    ObjectRef,
    Penalty,
    PenaltyKind,
    PenaltyState,
    PenaltyTrigger,
    TxStatus,
    new_id,
)
from openledger_kit.db import alembic_config, current_revision, head_revision
from openledger_kit.db.migrations import CONNECTION_ATTRIBUTE
from openledger_kit.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)

from .repo_support import (
    ALICE,
    BOB,
    CAROL,
    CURATOR,
    accept,
    make_datanet,
    record,
    records,
    reject,
)

T = TypeVar("T")


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state' / 'datanet.db'}"


@pytest.fixture
def repo(db_url: str) -> Iterator[Repository]:
    repository = Repository.open(db_url)
    yield repository
    repository.close()


def _accepted_ids(repo: Repository, datanet_id: str) -> list[tuple[int, str]]:
    page = repo.list_contributions(
        datanet_id, statuses=[ContributionStatus.ACCEPTED], page_size=1000
    )
    return sorted((c.accept_sequence, c.id) for c in page.items)


# ---------------------------------------------------------------------- migrations


def test_migrations_from_empty_match_the_models(db_url: str) -> None:
    repo = Repository.open(db_url, migrate=False)
    assert current_revision(repo.engine) is None
    repo.migrate()
    assert current_revision(repo.engine) == head_revision(MIGRATIONS) == "0001"
    tables = set(inspect(repo.engine).get_table_names())
    assert {
        "datanets",
        "contributions",
        "contributors",
        "penalties",
        "snapshots",
        "snapshot_records",
        "idempotency_keys",
        "processed_events",
    } <= tables
    # The hand-written migration creates exactly what the models declare.
    with repo.engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), metadata
        )
    assert diff == []
    repo.migrate()  # at head: nothing to do
    # And it downgrades cleanly.
    config = alembic_config(MIGRATIONS)
    with repo.engine.begin() as connection:
        config.attributes[CONNECTION_ATTRIBUTE] = connection
        command.downgrade(config, "base")
    assert set(inspect(repo.engine).get_table_names()) == {"alembic_version"}
    repo.close()


def test_sqlite_runs_in_wal_mode(repo: Repository) -> None:
    with repo.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


# ---------------------------------------------------------------------- datanets


def test_datanet_create_get_update(repo: Repository) -> None:
    created = make_datanet(repo, "medicine", min_length_chars=12)
    assert created.state is DatanetState.REGISTERING
    assert created.revision == 1 and created.stake_required == 10**18
    assert created.policy.min_length_chars == 12
    assert repo.get_datanet("medicine") == created
    with pytest.raises(AlreadyExists) as taken:
        make_datanet(repo, "medicine")
    assert taken.value.reason == "DATANET_ALREADY_EXISTS"
    with pytest.raises(NotFound) as missing:
        repo.get_datanet("nope")
    assert missing.value.reason == "DATANET_NOT_FOUND"

    tx = ChainTx(
        chain_id=901,
        contract_address=CURATOR,
        tx_hash=b"\x01" * 32,
        status=TxStatus.SUCCEEDED,
        block_number=7,
        block_hash=b"\x02" * 32,
        block_time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    active = repo.update_datanet("medicine", {"state": DatanetState.ACTIVE, "registration": tx})
    assert active.state is DatanetState.ACTIVE and active.registration == tx
    assert active.revision == 1  # not a configuration change
    assert repo.datanets_in_state(DatanetState.ACTIVE) == [active]
    assert repo.datanets_in_state(DatanetState.REGISTERING) == []

    renamed = repo.update_datanet("medicine", {"display_name": "Health"}, expected_etag=active.etag)
    assert renamed.display_name == "Health" and renamed.revision == 1
    with pytest.raises(Aborted):
        repo.update_datanet("medicine", {"display_name": "Stale"}, expected_etag=active.etag)
    policy = renamed.policy.__class__.default()
    bumped = repo.update_datanet("medicine", {"policy": policy, "stake_required": 5})
    assert bumped.revision == 2 and bumped.policy == policy and bumped.stake_required == 5
    same = repo.update_datanet("medicine", {"policy": policy})
    assert same.revision == 2  # unchanged value: no new revision
    schema = repo.update_datanet("medicine", {"record_schema": {"type": "object"}})
    assert schema.revision == 3
    with pytest.raises(InvalidArgument):
        repo.update_datanet("medicine", {"revision": 9})


def test_create_datanet_replay_and_conflict(repo: Repository) -> None:
    created = make_datanet(repo, "legal")
    duplicate = created.__class__(**{**created.__dict__, "id": "legal-de"})
    made = repo.create_datanet(duplicate, request_id="req-1", fingerprint=b"a")
    replay = repo.create_datanet(duplicate, request_id="req-1", fingerprint=b"a")
    assert replay == made
    with pytest.raises(AlreadyExists) as reused:
        repo.create_datanet(duplicate, request_id="req-1", fingerprint=b"b")
    assert reused.value.reason == "REQUEST_ID_REUSED"
    updated = repo.update_datanet(
        "legal-de", {"display_name": "Recht"}, request_id="req-2", fingerprint=b"u"
    )
    # A retry does not apply the change again (nor bump anything), even if the datanet moved on.
    repo.update_datanet("legal-de", {"display_name": "Law"})
    retry = repo.update_datanet(
        "legal-de", {"display_name": "Recht"}, request_id="req-2", fingerprint=b"u"
    )
    assert retry.display_name == "Law" and retry.revision == updated.revision
    stored = repo.stored_request("req-2", method="UpdateDatanet", fingerprint=b"u")
    assert stored is not None and stored.resource == "legal-de"
    assert repo.stored_request("req-9", method="UpdateDatanet") is None


def test_list_datanets_pages_newest_first_with_filters(repo: Repository) -> None:
    for i in range(7):
        make_datanet(repo, f"net-{i}", domain="even" if i % 2 == 0 else "odd")
    repo.update_datanet("net-3", {"state": DatanetState.ACTIVE, "curator": ALICE})
    seen: list[str] = []
    token = ""
    while True:
        page = repo.list_datanets(page_size=3, page_token=token)
        assert page.total_size == 7
        seen += [d.id for d in page.items]
        token = page.next_page_token
        if not token:
            break
    assert seen == [f"net-{i}" for i in reversed(range(7))]
    even = repo.list_datanets(domain="even", page_size=2)
    assert even.total_size == 4 and [d.id for d in even.items] == ["net-6", "net-4"]
    rest = repo.list_datanets(domain="even", page_size=2, page_token=even.next_page_token)
    assert [d.id for d in rest.items] == ["net-2", "net-0"] and rest.next_page_token == ""
    assert [d.id for d in repo.list_datanets(curator=ALICE.lower()).items] == ["net-3"]
    assert [d.id for d in repo.list_datanets(states=[DatanetState.ACTIVE]).items] == ["net-3"]
    with pytest.raises(InvalidArgument) as other_filters:
        repo.list_datanets(domain="odd", page_size=2, page_token=even.next_page_token)
    assert other_filters.value.reason == "PAGE_TOKEN_INVALID"
    with pytest.raises(InvalidArgument):
        repo.list_datanets(page_token="!!not-a-token")
    with pytest.raises(InvalidArgument):
        repo.list_datanets(page_size=0)


# ---------------------------------------------------------------------- contributions


def test_submission_is_idempotent_by_request_id_and_by_content(repo: Repository) -> None:
    make_datanet(repo)
    batch = records(4)
    doubled = [*batch, batch[1]]  # the same content again, later in the batch
    first = repo.add_contributions(
        "medicine", doubled, request_id="sub-1", fingerprint=b"f", annotations={"failed": [9]}
    )
    assert [r.already_submitted for r in first] == [False, False, False, False, True]
    assert first[4].contribution.id == first[1].contribution.id
    assert all(r.contribution.status is ContributionStatus.PENDING for r in first)
    assert first[0].contribution.content == batch[0].content

    # The same request again: nothing new, the original answer.
    replay = repo.add_contributions("medicine", doubled, request_id="sub-1", fingerprint=b"f")
    assert [(r.contribution.id, r.already_submitted) for r in replay] == [
        (r.contribution.id, r.already_submitted) for r in first
    ]
    stored = repo.stored_request("sub-1", method="SubmitContributions", fingerprint=b"f")
    assert stored is not None and stored.annotations == {"failed": [9]}
    assert len(stored.records) == 5
    with pytest.raises(AlreadyExists):
        repo.add_contributions("medicine", batch, request_id="sub-1", fingerprint=b"other")

    # A new request with content already submitted by the same contributor.
    second = repo.add_contributions(
        "medicine", [batch[2], record("fresh")], request_id="sub-2", fingerprint=b"g"
    )
    assert second[0].already_submitted and second[0].contribution.id == first[2].contribution.id
    assert not second[1].already_submitted
    # The same content by another contributor is another contribution.
    bobs = record("text 0", BOB)
    assert bobs.content_hash == batch[0].content_hash
    third = repo.add_contributions("medicine", [bobs], request_id="sub-3")
    assert not third[0].already_submitted

    datanet = repo.get_datanet("medicine")
    assert datanet.pending_count == 6 and datanet.contributor_count == 2
    alice = repo.contributor("medicine", ALICE.lower())
    assert alice.pending_count == 5 and alice.first_contribution_time is not None
    assert repo.contributor("medicine", CAROL).pending_count == 0  # never contributed
    assert [c.status for c in repo.pending_contributions("medicine")] == [
        ContributionStatus.PENDING
    ] * 6
    with pytest.raises(NotFound):
        repo.add_contributions("unknown", batch, request_id="sub-4")


def test_get_and_list_contributions(repo: Repository) -> None:
    make_datanet(repo)
    make_datanet(repo, "other")
    alice = repo.add_contributions("medicine", records(13), request_id="a")
    bob = repo.add_contributions("medicine", records(12, BOB, "bob"), request_id="b")
    repo.add_contributions("other", records(3, BOB, "elsewhere"), request_id="c")
    ids = [r.contribution.id for r in alice + bob]
    assert ids == sorted(ids)  # UUIDv7: submission order

    one = repo.get_contribution(ids[3])
    assert one.id == ids[3] and one.datanet_id == "medicine" and one.name.endswith(ids[3])
    with pytest.raises(NotFound) as missing:
        repo.get_contribution(ids[3], datanet_id="other")
    assert missing.value.reason == "CONTRIBUTION_NOT_FOUND"
    assert repo.get_contributions([ids[1], "missing", ids[0]]) == [
        repo.get_contribution(ids[1]),
        repo.get_contribution(ids[0]),
    ]

    def every(newest_first: bool, **filters: object) -> list[str]:
        found: list[str] = []
        token = ""
        while True:
            page = repo.list_contributions(
                "medicine",
                page_size=7,
                page_token=token,
                newest_first=newest_first,
                **filters,  # type: ignore[arg-type]
            )
            found += [c.id for c in page.items]
            token = page.next_page_token
            if not token:
                return found

    assert every(False) == ids
    assert every(True) == list(reversed(ids))
    assert every(False, contributor=BOB.lower()) == ids[13:]
    # Decide some: filters by status and by rejection reason.
    for index, contribution_id in enumerate(ids[:6]):
        outcome = (
            accept(f"text {index}") if index % 2 else reject(Reason.TOO_SHORT, Reason.PII_DETECTED)
        )
        repo.record_outcome(contribution_id, outcome, event_id=f"e{index}", datanet_revision=1)
    assert every(False, statuses=[ContributionStatus.ACCEPTED]) == ids[1:6:2]
    assert every(False, statuses=["REJECTED", "ACCEPTED"]) == ids[:6]
    assert every(False, rejection_reasons=[Reason.PII_DETECTED]) == ids[0:6:2]
    assert every(False, rejection_reasons=["REJECTION_REASON_TOO_SHORT"]) == ids[0:6:2]
    assert every(False, rejection_reasons=[Reason.ADVERSARIAL]) == []
    created = repo.get_contribution(ids[0]).create_time
    assert every(False, create_time_start=created + timedelta(days=1)) == []
    assert every(False, create_time_end=created + timedelta(days=1)) == ids
    everywhere = repo.list_contributions(None, contributor=BOB, page_size=100)
    assert everywhere.total_size == 15
    with pytest.raises(NotFound):
        repo.list_contributions("unknown")


# ---------------------------------------------------------------------- outcomes


def test_outcome_fields_are_stored_and_the_original_is_dropped(repo: Repository) -> None:
    make_datanet(repo)
    (submitted,) = repo.add_contributions("medicine", [record("  hello  ")], request_id="r")
    recorded = repo.record_outcome(
        submitted.contribution.id, accept("  hello  "), event_id="ev-1", datanet_revision=4
    )
    assert isinstance(recorded, RecordedOutcome) and recorded.penalty is None
    contribution = recorded.contribution
    assert contribution.status is ContributionStatus.ACCEPTED
    assert contribution.content == {"text": "hello", "lang": "en"}
    assert contribution.curated_content_hash == content_hash(contribution.content)
    assert contribution.content_hash == submitted.contribution.content_hash  # never changes
    assert contribution.accept_sequence == 1 and contribution.datanet_revision == 4
    assert contribution.metrics is not None and contribution.metrics.language == "en"
    assert contribution.curate_time is not None
    assert repo.get_contribution(contribution.id) == contribution
    ((row_id, exact_key, minhash, embedding),) = repo.index_rows("medicine")
    assert row_id == contribution.id and len(exact_key) == 32
    assert minhash == b"\x01\x02" * 64 and embedding == b"\x00\x00\x80\x3f" * 4

    (other,) = repo.add_contributions("medicine", [record("spam")], request_id="s")
    rejected = repo.record_outcome(
        other.contribution.id,
        reject(Reason.LOW_QUALITY, Reason.PII_DETECTED),
        event_id="ev-2",
        datanet_revision=4,
    )
    assert rejected is not None
    decided = rejected.contribution
    assert decided.status is ContributionStatus.REJECTED and decided.accept_sequence == 0
    assert [r.reason for r in decided.rejections] == [Reason.LOW_QUALITY, Reason.PII_DETECTED]
    assert decided.rejections[0].observed == 0.5 and decided.rejections[0].limit == 0.4
    assert decided.redactions[0].pii_type is PiiType.EMAIL_ADDRESS
    # A schema failure has no curated content: the original stays, no curated hash.
    (bad,) = repo.add_contributions("medicine", [record("bad")], request_id="t")
    schema = repo.record_outcome(
        bad.contribution.id,
        reject(Reason.SCHEMA_INVALID, curated={}),
        event_id="ev-3",
        datanet_revision=4,
    )
    assert schema is not None
    assert schema.contribution.content == bad.contribution.content
    assert schema.contribution.curated_content_hash == b""
    assert len(list(repo.index_rows("medicine"))) == 1  # only accepted ones
    datanet = repo.get_datanet("medicine")
    assert (datanet.accepted_count, datanet.rejected_count, datanet.pending_count) == (1, 2, 0)
    alice = repo.contributor("medicine", ALICE)
    assert (alice.accepted_count, alice.rejected_count, alice.pending_count) == (1, 2, 0)
    assert alice.reputation == pytest.approx(2 / 5)
    with pytest.raises(NotFound):
        repo.record_outcome("missing", accept("x"), event_id="ev-4", datanet_revision=1)


def _race(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(i)`` for i in range(count) in threads released together."""
    start = threading.Barrier(count)

    def run(i: int) -> T:
        start.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_record_outcome_is_exactly_once_under_concurrent_callers(
    repo: Repository, db_url: str
) -> None:
    make_datanet(repo)
    submitted = repo.add_contributions("medicine", records(20), request_id="r")
    # Two processes' worth of repositories: each its own engine on the same file.
    workers = [Repository.open(db_url) for _ in range(2)]
    try:
        for index, item in enumerate(submitted):
            event = f"event-{index}"
            outcome = accept(f"text {index}") if index % 3 else reject(Reason.TOO_SHORT)
            contribution_id = item.contribution.id

            def deliver(
                worker: int,
                event: str = event,
                outcome: Outcome = outcome,
                cid: str = contribution_id,
            ) -> RecordedOutcome | None:
                return workers[worker].record_outcome(
                    cid, outcome, event_id=event, datanet_revision=1
                )

            results = _race(2, deliver)
            assert sum(result is not None for result in results) == 1, index
    finally:
        for worker in workers:
            worker.close()
    # The same event id redelivered later changes nothing either.
    assert (
        repo.record_outcome(
            submitted[1].contribution.id, accept("x"), event_id="event-1", datanet_revision=1
        )
        is None
    )
    # Another event for an already decided contribution changes nothing.
    assert (
        repo.record_outcome(
            submitted[1].contribution.id, accept("x"), event_id="new", datanet_revision=1
        )
        is None
    )
    datanet = repo.get_datanet("medicine")
    assert (datanet.accepted_count, datanet.rejected_count, datanet.pending_count) == (13, 7, 0)
    alice = repo.contributor("medicine", ALICE)
    assert (alice.accepted_count, alice.rejected_count, alice.pending_count) == (13, 7, 0)
    assert [seq for seq, _ in _accepted_ids(repo, "medicine")] == list(range(1, 14))


def test_accept_sequence_is_gapless_and_in_commit_order_under_concurrency(
    repo: Repository, db_url: str
) -> None:
    make_datanet(repo)
    submitted = repo.add_contributions("medicine", records(60), request_id="r")
    workers = [Repository.open(db_url) for _ in range(4)]

    def curate(worker: int) -> list[int]:
        sequences = []
        for index in range(worker, 60, 4):
            outcome = reject(Reason.LOW_QUALITY) if index % 5 == 0 else accept(f"text {index}")
            result = workers[worker].record_outcome(
                submitted[index].contribution.id, outcome, event_id=f"e-{index}", datanet_revision=1
            )
            assert result is not None
            sequences.append(result.contribution.accept_sequence)
        return sequences

    try:
        per_worker = _race(4, curate)
    finally:
        for worker in workers:
            worker.close()
    accepted = _accepted_ids(repo, "medicine")
    assert [seq for seq, _ in accepted] == list(range(1, 49))
    # Each worker saw its own acceptances in increasing order (commit order).
    for sequences in per_worker:
        mine = [s for s in sequences if s]
        assert mine == sorted(mine)
    # And the acceptance order follows the curate times.
    by_sequence = [repo.get_contribution(cid).curate_time for _, cid in accepted]
    assert by_sequence == sorted(by_sequence)  # type: ignore[type-var]


def test_batches_of_outcomes_apply_each_event_once_under_concurrency(
    repo: Repository, db_url: str
) -> None:
    make_datanet(repo)
    submitted = repo.add_contributions(
        "medicine", records(90) + records(30, BOB, "b"), request_id="r"
    )
    items = [
        OutcomeToRecord(
            s.contribution.id,
            accept(f"text {i}") if i % 4 else reject(Reason.LOW_QUALITY),
            f"ev-{i}",
        )
        for i, s in enumerate(submitted)
    ]
    workers = [Repository.open(db_url) for _ in range(3)]

    def deliver(worker: int) -> list[RecordedOutcome | None]:
        # Overlapping batches, as redeliveries to several consumers produce them.
        results: list[RecordedOutcome | None] = []
        for start in range(worker * 10, len(items), 25):
            results += workers[worker].record_outcomes(
                items[start : start + 30], datanet_revision=2
            )
        return results

    try:
        applied = [r for results in _race(3, deliver) for r in results if r is not None]
    finally:
        for worker in workers:
            worker.close()
    decided = {r.contribution.id for r in applied}
    assert len(applied) == len(decided)  # nobody applied an event twice
    datanet = repo.get_datanet("medicine")
    assert datanet.accepted_count + datanet.rejected_count == len(applied)
    assert datanet.pending_count == len(items) - len(applied)
    assert [seq for seq, _ in _accepted_ids(repo, "medicine")] == list(
        range(1, datanet.accepted_count + 1)
    )
    # What a batch repeats within itself is applied once too.
    leftover = [item for item in items if item.contribution_id not in decided]
    again = repo.record_outcomes(leftover + leftover, datanet_revision=2)
    assert sum(r is not None for r in again) == len(leftover)
    assert repo.get_datanet("medicine").pending_count == 0


def test_window_counts_match_a_recount_of_the_rule(repo: Repository) -> None:
    """The incremental window (and the slashes it decides) against the rule of
    curation.proto computed from scratch after every batch, through a policy change."""
    rng = random.Random(7)
    make_datanet(repo, slash_window_size=5, slash_rejection_rate=0.6, slash_amount="10")
    people = (ALICE, BOB, CAROL)
    inputs = [record(f"text {i}", people[rng.randrange(3)]) for i in range(150)]
    submitted = repo.add_contributions("medicine", inputs, request_id="r")
    kinds = [rng.choice(["accept", "counted", "duplicate"]) for _ in submitted]
    # The rule, from scratch: per contributor, the outcomes since the last slash.
    since_slash: dict[str, list[bool]] = {p: [] for p in people}
    slashes: dict[str, int] = dict.fromkeys(people, 0)
    window = 5
    position = 0
    while position < len(submitted):
        if position >= 75 and window == 5:
            policy = repo.get_datanet("medicine").policy
            repo.update_datanet("medicine", {"policy": replace(policy, slash_window_size=8)})
            window = 8
        size = rng.randint(1, 17)
        batch = []
        for index in range(position, min(position + size, len(submitted))):
            kind = kinds[index]
            outcome = (
                accept(f"text {index}")
                if kind == "accept"
                else reject(Reason.LOW_QUALITY if kind == "counted" else Reason.NEAR_DUPLICATE)
            )
            batch.append(OutcomeToRecord(submitted[index].contribution.id, outcome, f"e{index}"))
            address = submitted[index].contribution.contributor
            since_slash[address].append(kind == "counted")
            last = since_slash[address][-window:]
            if len(last) == window and sum(last) / window >= 0.6:
                slashes[address] += 1
                since_slash[address] = []
        results = repo.record_outcomes(batch, datanet_revision=1)
        assert all(r is not None for r in results)
        position += size
        for address in people:
            contributor = repo.contributor("medicine", address)
            last = since_slash[address][-window:]
            assert contributor.window_curated_count == len(last), (position, address)
            assert contributor.window_counted_rejections == sum(last), (position, address)
            assert len(contributor.penalties) == slashes[address]
    assert sum(slashes.values()) > 2  # the rule did fire, several times


# ---------------------------------------------------------------------- contributors


def test_slashing_window_decides_a_pending_penalty_once(repo: Repository) -> None:
    make_datanet(
        repo,
        slash_window_size=4,
        slash_rejection_rate=0.5,
        slash_amount="100",
    )
    submitted = repo.add_contributions("medicine", records(12), request_id="r")
    ids = [s.contribution.id for s in submitted]

    def decide(index: int, outcome_reasons: tuple[Reason, ...]) -> RecordedOutcome:
        outcome = reject(*outcome_reasons) if outcome_reasons else accept(f"text {index}")
        result = repo.record_outcome(ids[index], outcome, event_id=f"e{index}", datanet_revision=1)
        assert result is not None
        return result

    # Duplicates are not counted by default: a full window of them triggers nothing.
    for index in range(4):
        assert decide(index, (Reason.NEAR_DUPLICATE,)).penalty is None
    window = repo.contributor("medicine", ALICE)
    assert (window.window_curated_count, window.window_counted_rejections) == (4, 0)
    # Two counted rejections in the last four: the rate reaches 0.5.
    assert decide(4, (Reason.LOW_QUALITY,)).penalty is None
    assert decide(5, ()).penalty is None
    triggered = decide(6, (Reason.ADVERSARIAL, Reason.NEAR_DUPLICATE))
    assert triggered.penalty_triggered
    penalty = triggered.penalty
    assert penalty is not None
    assert (penalty.kind, penalty.trigger, penalty.state) == (
        PenaltyKind.SLASH,
        PenaltyTrigger.REJECTION_RATE,
        PenaltyState.PENDING,
    )
    assert penalty.amount == 100 and penalty.rejection_rate == pytest.approx(0.5)
    assert set(penalty.contributions) == {ids[4], ids[6]}
    assert len(penalty.reason_hash) == 32
    # The window restarted.
    after = repo.contributor("medicine", ALICE)
    assert (after.window_curated_count, after.window_counted_rejections) == (0, 0)
    assert after.last_slash_time is not None and after.penalties == (penalty,)
    assert decide(7, (Reason.LOW_QUALITY,)).penalty is None  # a fresh window is not full
    assert repo.list_penalties(states=[PenaltyState.PENDING]) == [penalty]

    tx = ChainTx(chain_id=901, contract_address=CURATOR, tx_hash=b"\x03" * 32)
    # The registry capped the slash at 60: the penalty records what was taken.
    confirmed = repo.update_penalty(
        penalty.id, state=PenaltyState.CONFIRMED, transaction=tx, amount=60
    )
    assert confirmed.state is PenaltyState.CONFIRMED and confirmed.transaction == tx
    assert confirmed.amount == 60
    assert repo.contributor("medicine", ALICE).total_slashed == 60
    repo.update_penalty(penalty.id, state=PenaltyState.CONFIRMED)  # same state: no double count
    assert repo.contributor("medicine", ALICE).total_slashed == 60
    with pytest.raises(FailedPrecondition):
        repo.update_penalty(penalty.id, state=PenaltyState.FAILED)
    with pytest.raises(FailedPrecondition):
        repo.update_penalty(penalty.id, amount=100)
    assert repo.list_penalties(states=[PenaltyState.PENDING]) == []


def test_no_slash_without_an_amount_and_admin_penalties(repo: Repository) -> None:
    make_datanet(repo, slash_window_size=2, slash_rejection_rate=0.5, slash_amount="0")
    submitted = repo.add_contributions("medicine", records(2), request_id="r")
    for index, item in enumerate(submitted):
        result = repo.record_outcome(
            item.contribution.id,
            reject(Reason.LOW_QUALITY),
            event_id=f"e{index}",
            datanet_revision=1,
        )
        assert result is not None and result.penalty is None
    counted = repo.contributor("medicine", ALICE)
    assert (counted.window_curated_count, counted.window_counted_rejections) == (2, 2)
    assert counted.window_rejection_rate == 1.0

    suspension = repo.add_penalty(
        Penalty(
            id=new_id(),
            datanet_id="medicine",
            contributor=BOB.lower(),
            kind=PenaltyKind.SUSPENSION,
            trigger=PenaltyTrigger.ADMIN,
            state=PenaltyState.CONFIRMED,
            detail="takedown",
        )
    )
    bob = repo.contributor("medicine", BOB)
    assert bob.suspended and bob.penalties == (suspension,)
    assert repo.get_penalty(suspension.id) == suspension
    assert not repo.update_contributor("medicine", BOB, suspended=False).suspended
    assert repo.update_contributor("medicine", BOB, stake_cache=42).stake_cache == 42
    with pytest.raises(NotFound):
        repo.get_penalty("missing")


# ---------------------------------------------------------------------- snapshots


def _curated_datanet(repo: Repository, datanet_id: str, count: int) -> list[str]:
    make_datanet(repo, datanet_id)
    mixed = [record(f"text {i}", (ALICE, BOB, CAROL)[i % 3]) for i in range(count)]
    # Fixed ids: two repositories given the same input store the same records.
    submitted = repo.add_contributions(datanet_id, mixed, request_id=f"r-{datanet_id}")
    for index, item in enumerate(submitted):
        outcome = reject(Reason.TOO_SHORT) if index % 4 == 3 else accept(f" text {index} ")
        repo.record_outcome(
            item.contribution.id, outcome, event_id=f"{datanet_id}-{index}", datanet_revision=1
        )
    return [cid for _, cid in _accepted_ids(repo, datanet_id)]


def test_snapshot_freezes_accepted_records_in_accept_order(repo: Repository) -> None:
    accepted = _curated_datanet(repo, "medicine", 20)
    assert len(accepted) == 15
    job = repo.create_snapshot_job(
        "medicine",
        request_id="snap-1",
        fingerprint=b"s",
        description="first",
        creator=CURATOR.lower(),
    )
    assert (job.sequence, job.state, job.cutoff_accept_sequence) == (1, JobState.QUEUED, 15)
    assert job.creator == CURATOR and job.request_id == "snap-1"
    assert repo.create_snapshot_job("medicine", request_id="snap-1", fingerprint=b"s") == job
    with pytest.raises(AlreadyExists):
        repo.create_snapshot_job("medicine", request_id="snap-1", fingerprint=b"other")
    with pytest.raises(FailedPrecondition):
        repo.snapshot_leaves("medicine", 1)  # not frozen yet

    # Acceptances after the cutoff do not enter this snapshot.
    (late,) = repo.add_contributions("medicine", [record("late")], request_id="late")
    repo.record_outcome(late.contribution.id, accept("late"), event_id="late", datanet_revision=1)

    frozen = repo.freeze_snapshot("medicine", 1)
    assert frozen.record_count == 15 and frozen.contributor_count == 3
    assert frozen.content_bytes > 0 and len(frozen.merkle_root) == 32
    assert repo.freeze_snapshot("medicine", 1) == frozen  # idempotent
    exported = list(repo.snapshot_records("medicine", 1))
    assert [r.index for r in exported] == list(range(15))
    assert [r.record_id for r in exported] == accepted
    assert MerkleTree([r.leaf_hash for r in exported]).root == frozen.merkle_root
    for record_ in exported:
        record_.verify()
        assert record_.content == repo.get_contribution(record_.record_id).content
    # Ranges and single records.
    assert [r.index for r in repo.snapshot_records("medicine", 1, 13)] == [13, 14]
    assert [r.index for r in repo.snapshot_records("medicine", 1, 3, 6, batch_size=2)] == [3, 4, 5]
    assert list(repo.snapshot_records("medicine", 1, 15)) == []
    assert repo.snapshot_record("medicine", 1, record_id=accepted[7]) == exported[7]
    with pytest.raises(NotFound):
        repo.snapshot_record("medicine", 1, record_id=late.contribution.id)
    for index in range(15):
        proof = repo.inclusion_proof("medicine", 1, index=index)
        assert proof.verify() and proof.merkle_root == frozen.merkle_root
        assert proof.record_count == 15

    # The next snapshot includes the late record; the same cutoff gives the same root.
    second = repo.freeze_snapshot("medicine", repo.create_snapshot_job("medicine").sequence)
    assert second.sequence == 2 and second.record_count == 16
    assert second.merkle_root != frozen.merkle_root
    before = repo.create_snapshot_job(
        "medicine", accepted_before=repo.get_contribution(late.contribution.id).curate_time
    )
    assert before.cutoff_accept_sequence == 15
    assert repo.freeze_snapshot("medicine", before.sequence).merkle_root == frozen.merkle_root


def test_same_records_give_the_same_root_in_another_database(tmp_path: Path) -> None:
    roots = []
    for name in ("one", "two"):
        repo = Repository.open(f"sqlite:///{tmp_path / name}.db")
        make_datanet(repo)
        inputs = [record(f"text {i}", (ALICE, BOB)[i % 2]) for i in range(9)]
        inputs = [
            item.__class__(**{**item.__dict__, "id": f"0190c0de-0000-7000-8000-{i:012d}"})
            for i, item in enumerate(inputs)
        ]
        for index, item in enumerate(repo.add_contributions("medicine", inputs, request_id="r")):
            repo.record_outcome(
                item.contribution.id,
                accept(f"text {index}"),
                event_id=str(index),
                datanet_revision=1,
            )
        roots.append(
            repo.freeze_snapshot(
                "medicine", repo.create_snapshot_job("medicine").sequence
            ).merkle_root
        )
        repo.close()
    assert roots[0] == roots[1]


def test_snapshot_job_lifecycle(repo: Repository) -> None:
    with pytest.raises(FailedPrecondition) as empty:
        make_datanet(repo, "empty")
        repo.create_snapshot_job("empty")
    assert empty.value.reason == "NO_ACCEPTED_RECORDS"
    _curated_datanet(repo, "medicine", 4)
    _curated_datanet(repo, "legal", 4)
    a1 = repo.create_snapshot_job("medicine")
    a2 = repo.create_snapshot_job("medicine")
    b1 = repo.create_snapshot_job("legal")
    assert [s.name for s in repo.runnable_snapshots()] == [a1.name, b1.name]
    running = repo.update_snapshot("medicine", 1, state=JobState.RUNNING, progress=0.25)
    assert running.start_time is not None and running.progress == 0.25
    repo.freeze_snapshot("medicine", 1)
    ref = ObjectRef(
        uri="file:///x", sha256=b"\x05" * 32, size_bytes=10, media_type="application/jsonl"
    )
    anchor = ChainTx(
        chain_id=901, contract_address=CURATOR, tx_hash=b"\x07" * 32, status=TxStatus.SUCCEEDED
    )
    done = repo.update_snapshot(
        "medicine", 1, jsonl=ref, parquet=ref, anchor=anchor, state=JobState.SUCCEEDED
    )
    assert done.state is JobState.SUCCEEDED and done.progress == 1.0 and done.end_time is not None
    assert (done.jsonl, done.parquet, done.anchor) == (ref, ref, anchor)
    assert repo.get_datanet("medicine").latest_snapshot == 1
    with pytest.raises(FailedPrecondition):
        repo.update_snapshot("medicine", 1, state=JobState.FAILED)
    failed = repo.update_snapshot(
        "medicine", 2, state=JobState.FAILED, error_reason="ANCHOR_TIMEOUT", error_message="slow"
    )
    assert failed.end_time is not None and failed.start_time is None
    with pytest.raises(FailedPrecondition):
        repo.freeze_snapshot("medicine", 2)  # terminal: nothing to freeze any more
    assert repo.get_snapshot("medicine", 2).error_reason == "ANCHOR_TIMEOUT"
    assert [s.name for s in repo.runnable_snapshots()] == [b1.name]
    with pytest.raises(NotFound) as missing:
        repo.get_snapshot("medicine", 9)
    assert missing.value.reason == "SNAPSHOT_NOT_FOUND"

    everything = repo.list_snapshots(None, page_size=2)
    assert everything.total_size == 3
    rest = repo.list_snapshots(None, page_size=2, page_token=everything.next_page_token)
    assert [s.name for s in [*everything.items, *rest.items]] == [b1.name, a2.name, a1.name]
    assert rest.next_page_token == ""
    succeeded = repo.list_snapshots("medicine", states=[JobState.SUCCEEDED])
    assert [s.sequence for s in succeeded.items] == [1]


# ---------------------------------------------------------------------- restart


def test_a_new_repository_on_the_same_file_sees_everything(db_url: str) -> None:
    first = Repository.open(db_url)
    accepted = _curated_datanet(first, "medicine", 8)
    job = first.create_snapshot_job("medicine", request_id="snap", fingerprint=b"s")
    frozen = first.freeze_snapshot("medicine", job.sequence)
    contributor = first.contributor("medicine", ALICE)
    first.close()

    again = Repository.open(db_url)
    try:
        assert again.get_datanet("medicine").accepted_count == len(accepted)
        assert [cid for _, cid in _accepted_ids(again, "medicine")] == accepted
        assert again.contributor("medicine", ALICE) == contributor
        assert again.get_snapshot("medicine", job.sequence) == frozen
        assert [r.record_id for r in again.snapshot_records("medicine", job.sequence)] == accepted
        assert again.inclusion_proof("medicine", job.sequence, index=0).verify()
        # Request ids and processed events survive too.
        assert again.create_snapshot_job("medicine", request_id="snap", fingerprint=b"s") == frozen
        first_id = accepted[0]
        assert (
            again.record_outcome(first_id, accept("x"), event_id="medicine-0", datanet_revision=1)
            is None
        )
        assert len(list(again.index_rows("medicine"))) == len(accepted)
    finally:
        again.close()


def test_prune_forgets_old_request_ids(repo: Repository) -> None:
    make_datanet(repo)
    repo.add_contributions("medicine", records(1), request_id="old", fingerprint=b"x")
    (item,) = repo.pending_contributions()
    repo.record_outcome(item.id, accept("text 0"), event_id="ev", datanet_revision=1)
    assert repo.prune(before=datetime.now(UTC) - timedelta(days=1)) == 0
    assert repo.prune(before=datetime.now(UTC) + timedelta(seconds=1)) == 2
    assert repo.stored_request("old", method="SubmitContributions", fingerprint=b"x") is None
