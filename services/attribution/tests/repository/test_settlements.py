"""Settlement leases and transitions: oldest first, exclusive across workers (two processes'
repositories on one file), taken over when a lease runs out, released at once after a
transient failure; SUBMITTED → CONFIRMED → published; terminal states stay."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

from openledger_attribution.adapters.repository import Repository
from openledger_attribution.domain.model import Settlement, SettlementState
from openledger_kit.values import ChainTx, TxStatus

from .support import ALICE, BOB, T0, completion, contributor, finished

LEASE = 60.0
TX = ChainTx(
    chain_id=31_337,
    contract_address=BOB,
    tx_hash=b"\x5a" * 32,
    status=TxStatus.SUCCEEDED,
    block_number=2**40,
)


def settle(repo: Repository, count: int) -> list[Settlement]:
    """``count`` finished attributions, the n-th one's settlement created n minutes in."""
    settlements = []
    for n in range(1, count + 1):
        begun = repo.begin(completion(n), T0)
        attribution, settlement = finished(
            begun, (contributor(ALICE, 0.7, 70 * n), contributor(BOB, 0.3, 30 * n)), minutes=n
        )
        repo.finish(attribution, settlement)
        settlements.append(settlement)
    return settlements


def ids(settlements: list[Settlement]) -> list[str]:
    return [s.settlement_id for s in settlements]


def test_claims_lease_oldest_first_until_the_lease_ends(repo: Repository) -> None:
    created = settle(repo, 3)
    assert repo.claim_settlements("w1", 2, LEASE, T0) == created[:2]
    assert repo.claim_settlements("w2", 5, LEASE, T0) == created[2:]
    assert repo.claim_settlements("w3", 5, LEASE, T0 + timedelta(seconds=59)) == []
    assert repo.claim_settlements("w3", 0, LEASE, T0 + timedelta(seconds=60)) == []
    assert repo.claim_settlements("w3", 5, LEASE, T0 + timedelta(seconds=60)) == created
    repo.release(ids(created[:1]))
    assert repo.claim_settlements("w4", 5, LEASE, T0 + timedelta(seconds=61)) == created[:1]


def test_submitted_confirmed_published(repo: Repository) -> None:
    created = settle(repo, 3)
    claimed = repo.claim_settlements("w1", 3, LEASE, T0)
    submit = T0 + timedelta(seconds=5)
    repo.mark_submitted(ids(claimed[:2]), "batch-1", TX, submit)
    submitted = [
        replace(
            s,
            state=SettlementState.SUBMITTED,
            batch_id="batch-1",
            transaction=TX,
            submit_time=submit,
            attempts=1,
        )
        for s in created[:2]
    ]
    assert [repo.get_settlement(i) for i in ids(created[:2])] == submitted
    # Still leased to w1 while it waits for confirmations; its lease running out hands the
    # SUBMITTED ones over (the settler is idempotent), and a resubmission counts an attempt.
    assert repo.claim_settlements("w2", 5, LEASE, T0 + timedelta(seconds=30)) == []
    taken_over = repo.claim_settlements("w2", 5, LEASE, T0 + timedelta(seconds=60))
    assert taken_over == [*submitted, created[2]]
    resubmit = T0 + timedelta(seconds=65)
    repo.mark_submitted(ids(created[:2]), "batch-2", TX, resubmit)
    assert repo.get_settlement(created[0].settlement_id) == replace(
        submitted[0], batch_id="batch-2", submit_time=resubmit, attempts=2
    )

    confirm = T0 + timedelta(seconds=70)
    repo.mark_confirmed(ids(created[:2]), confirm)
    confirmed = repo.get_settlement(created[1].settlement_id)
    assert confirmed == replace(
        submitted[1],
        batch_id="batch-2",
        submit_time=resubmit,
        attempts=2,
        state=SettlementState.CONFIRMED,
        confirm_time=confirm,
    )
    assert repo.unpublished(10) == [repo.get_settlement(i) for i in ids(created[:2])]
    assert repo.unpublished(1) == [repo.get_settlement(created[0].settlement_id)]
    repo.mark_published(created[0].settlement_id)
    assert repo.unpublished(10) == [confirmed]
    assert repo.get_settlement(created[0].settlement_id).published  # type: ignore[union-attr]
    # Confirmed ones are never leased, failed or released again.
    repo.mark_failed(created[1].settlement_id, "TX_REVERTED", "late", confirm)
    repo.release(ids(created))
    assert repo.get_settlement(created[1].settlement_id) == confirmed
    assert repo.claim_settlements("w3", 5, LEASE, T0 + timedelta(hours=1)) == created[2:]


def test_failed_settlements_are_terminal(repo: Repository) -> None:
    created = settle(repo, 1)
    repo.claim_settlements("w1", 1, LEASE, T0)
    repo.mark_failed(created[0].settlement_id, "RETRIES_EXHAUSTED", "gave up", T0)
    failed = replace(
        created[0],
        state=SettlementState.FAILED,
        error_reason="RETRIES_EXHAUSTED",
        error_message="gave up",
    )
    assert repo.get_settlement(created[0].settlement_id) == failed
    repo.mark_confirmed(ids(created), T0)
    repo.mark_published(created[0].settlement_id)
    assert repo.get_settlement(created[0].settlement_id) == failed
    assert repo.claim_settlements("w2", 5, LEASE, T0 + timedelta(hours=1)) == []
    assert repo.unpublished(5) == []


def test_two_workers_never_lease_the_same_settlement(db_url: str) -> None:
    setup = Repository.open(db_url)
    created = settle(setup, 40)
    setup.close()
    workers = {name: Repository.open(db_url) for name in ("w1", "w2")}

    def drain(name: str) -> list[str]:
        taken: list[str] = []
        while batch := workers[name].claim_settlements(name, 3, LEASE, T0):
            taken += ids(batch)
        return taken

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(drain, ["w1", "w2"])
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(ids(created))
    for repo in workers.values():
        repo.close()
