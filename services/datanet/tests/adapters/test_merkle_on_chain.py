"""Roots and proofs computed in Python, checked by the real ``DatanetRegistry.verifyRecord`` on
the L2 anvil: anchor a root, then ask the contract about several leaves of trees of 1..17
records, tampered proofs, the Solidity test's golden vector and a snapshot frozen by the
repository."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_utils.crypto import keccak
from web3 import AsyncWeb3
from web3.contract import AsyncContract

from openledger_datanet.adapters.repository import Repository
from openledger_datanet.domain.merkle import MerkleTree
from openledger_kit.chain import TxSender, connect, deploy, load_artifact
from openledger_kit.contracts.testing import fresh_account
from openledger_kit.testing.processes import AnvilProcess

from ..domain.merkle_vectors import GOLDEN_ROOT, golden_leaves, solidity_leaves
from .repo_support import ALICE, BOB, accept, make_datanet, records

REPO_ROOT = Path(__file__).resolve().parents[4]
ARTIFACTS = REPO_ROOT / "contracts" / "out"


@dataclass
class Registry:
    w3: AsyncWeb3[Any]
    sender: TxSender
    contract: AsyncContract
    datanet_id: bytes
    next_sequence: int = 1

    async def anchor(self, root: bytes, count: int) -> int:
        sequence = self.next_sequence
        self.next_sequence += 1
        await self.sender.transact(
            self.contract.functions.anchorSnapshot(
                self.datanet_id, sequence, root, count, hashes_of(root)
            )
        )
        return sequence

    async def verify(self, sequence: int, leaf: bytes, proof: list[bytes]) -> bool:
        result = await self.contract.functions.verifyRecord(
            self.datanet_id, sequence, leaf, proof
        ).call()
        return bool(result)


def hashes_of(root: bytes) -> bytes:
    return bytes(keccak(b"jsonl:" + root))


@pytest.fixture(scope="module")
async def registry(anvil_l2: AnvilProcess) -> AsyncIterator[Registry]:
    if not (REPO_ROOT / "node_modules").is_dir():
        pytest.skip("node_modules is missing: run `make setup` to get the contracts toolchain")
    if not (ARTIFACTS / "DatanetRegistry.sol" / "DatanetRegistry.json").is_file():
        pytest.skip("contract artifacts are missing: run `make contracts`")
    w3 = await connect(anvil_l2.url)
    try:
        admin = await fresh_account(w3)
        sender = TxSender(w3, admin)
        params = await deploy(
            w3,
            admin,
            load_artifact(ARTIFACTS, "ProtocolParams"),
            admin.address,
            (100, 7000, 2000, 1000, 7 * 86400, 1000, 2000),
            sender=sender,
        )
        artifact = load_artifact(ARTIFACTS, "DatanetRegistry")
        # Constructor arguments by name, so the test follows the contract's constructor
        # (admin, params, [treasury,] unstake cooldown) as long as the names stay.
        by_name: dict[str, Any] = {
            "admin": admin.address,
            "params_": params.address,
            "treasury_": admin.address,
            "unstakeCooldownSeconds_": 0,
        }
        (constructor,) = [e for e in artifact.abi if e["type"] == "constructor"]
        arguments = [by_name[item["name"]] for item in constructor["inputs"]]
        deployed = await deploy(w3, admin, artifact, *arguments, sender=sender)
        contract = deployed.contract
        for role in ("REGISTRAR_ROLE", "CURATION_ROLE"):
            role_id = await getattr(contract.functions, role)().call()
            await sender.transact(contract.functions.grantRole(role_id, admin.address))
        # keccak256 of the datanet id string, as the registry names datanets.
        datanet_id = bytes(keccak(text=f"merkle-{uuid.uuid4().hex[:8]}"))
        await sender.transact(
            contract.functions.createDatanet(datanet_id, admin.address, 0, b"\x00" * 32)
        )
        yield Registry(w3, sender, contract, datanet_id)
    finally:
        await w3.provider.disconnect()


async def test_golden_vector_verifies_on_chain(registry: Registry) -> None:
    leaves = golden_leaves()
    tree = MerkleTree(leaves)
    assert tree.root.hex() == GOLDEN_ROOT
    sequence = await registry.anchor(tree.root, len(leaves))
    results = await asyncio.gather(
        *(registry.verify(sequence, leaf, tree.proof(i)) for i, leaf in enumerate(leaves))
    )
    assert all(results)


async def test_every_leaf_of_trees_of_1_to_17_records_verifies_on_chain(
    registry: Registry,
) -> None:
    for count in range(1, 18):
        leaves = solidity_leaves(count, salt=1000 + count)
        tree = MerkleTree(leaves)
        sequence = await registry.anchor(tree.root, count)
        checks = [registry.verify(sequence, leaf, tree.proof(i)) for i, leaf in enumerate(leaves)]
        assert all(await asyncio.gather(*checks)), count
        if count == 1:
            assert tree.proof(0) == []
            continue
        # What must not verify: a leaf with another leaf's proof, a flipped sibling, a
        # dropped sibling, and a good proof against another snapshot's root.
        last = count - 1
        proof = tree.proof(last)
        flipped = [proof[0][:31] + bytes([proof[0][31] ^ 1]), *proof[1:]]
        rejected = await asyncio.gather(
            registry.verify(sequence, leaves[0], proof),
            registry.verify(sequence, leaves[last], flipped),
            registry.verify(sequence, leaves[last], proof[:-1]),
            registry.verify(sequence - 1, leaves[last], proof),
        )
        assert not any(rejected), count


async def test_a_repository_snapshot_verifies_on_chain(registry: Registry, tmp_path: Path) -> None:
    repo = Repository.open(f"sqlite:///{tmp_path / 'datanet.db'}")
    try:
        make_datanet(repo)
        submitted = repo.add_contributions(
            "medicine", records(7) + records(6, BOB, "bob"), request_id="r"
        )
        for index, item in enumerate(submitted):
            text = item.contribution.content["text"]
            repo.record_outcome(
                item.contribution.id, accept(str(text)), event_id=str(index), datanet_revision=1
            )
        job = repo.create_snapshot_job("medicine")
        snapshot = repo.freeze_snapshot("medicine", job.sequence)
        sequence = await registry.anchor(snapshot.merkle_root, snapshot.record_count)
        proofs = [
            repo.inclusion_proof("medicine", job.sequence, index=i)
            for i in range(snapshot.record_count)
        ]
        assert all(proof.verify() for proof in proofs)
        verified = await asyncio.gather(
            *(
                registry.verify(sequence, proof.leaf_hash, list(proof.sibling_hashes))
                for proof in proofs
            )
        )
        assert all(verified)
        # The leaf the contract checks is the one recomputed from the exported fields.
        record = proofs[3].record
        assert record.expected_leaf() == record.leaf_hash
        assert record.contributor in (ALICE, BOB)
    finally:
        repo.close()
