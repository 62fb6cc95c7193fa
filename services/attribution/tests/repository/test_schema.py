"""Migrations from an empty database match the models; a reopened database keeps everything;
the catalogue answers which adapters were trained on a snapshot."""

from __future__ import annotations

from dataclasses import replace

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from openledger_attribution.adapters.repository import MIGRATIONS, Repository
from openledger_attribution.adapters.repository.tables import metadata
from openledger_attribution.domain.model import AdapterInfo, SnapshotInfo
from openledger_attribution.domain.ports import IndexRecord
from openledger_kit.db import alembic_config, current_revision, head_revision
from openledger_kit.db.migrations import CONNECTION_ATTRIBUTE

from .support import ADAPTER, ALICE, BOB, OWNER, SNAPSHOT, T0, completion, contributor, finished

TABLES = {
    "adapters",
    "snapshots",
    "span_indexes",
    "completions",
    "attributions",
    "attribution_contributors",
    "settlements",
}


def test_migrations_from_empty_match_the_models(db_url: str) -> None:
    repo = Repository.open(db_url, migrate=False)
    assert current_revision(repo.engine) is None
    repo.migrate()
    assert current_revision(repo.engine) == head_revision(MIGRATIONS) == "0001"
    assert TABLES <= set(inspect(repo.engine).get_table_names())
    with repo.engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), metadata
        )
    assert diff == []
    repo.migrate()  # already at head: nothing to do
    config = alembic_config(MIGRATIONS)
    with repo.engine.begin() as connection:
        config.attributes[CONNECTION_ATTRIBUTE] = connection
        command.downgrade(config, "base")
    assert set(inspect(repo.engine).get_table_names()) == {"alembic_version"}
    repo.close()


def test_reopening_keeps_everything(db_url: str) -> None:
    adapter = AdapterInfo(
        ref=ADAPTER,
        base_model="tiny-llama",
        owner=OWNER,
        adapter_sha256=b"\x01" * 32,
        snapshot=SNAPSHOT,
        snapshot_merkle_root=b"\x02" * 32,
        adapter_model_digest="sha256:" + "03" * 32,
        adapter_config_digest="sha256:" + "04" * 32,
        features_digest="sha256:" + "05" * 32,
    )
    snapshot = SnapshotInfo(
        name=SNAPSHOT,
        merkle_root=b"\x02" * 32,
        record_count=12,
        jsonl_digest="sha256:" + "06" * 32,
        publish_time=T0,
    )
    index = IndexRecord(
        snapshot=SNAPSHOT,
        base_model="tiny-llama",
        sha256=b"\x07" * 32,
        manifest_digest="sha256:" + "08" * 32,
        document_count=12,
        token_count=3_000,
        build_time=T0,
    )
    first = Repository.open(db_url)
    first.record_adapter(adapter)
    first.record_snapshot(snapshot)
    first.record_index(index)
    begun = first.begin(completion(), T0)
    attribution, settlement = finished(
        begun, (contributor(ALICE, 0.6, 10), contributor(BOB, 0.4, 5))
    )
    first.finish(attribution, settlement)
    first.close()

    again = Repository.open(db_url)
    assert again.get_adapter(ADAPTER) == adapter
    assert again.get_snapshot(SNAPSHOT) == snapshot
    assert again.get_index(SNAPSHOT, "tiny-llama") == index
    assert again.get_completion(begun.inference_id) == completion()
    assert again.get_attribution(begun.inference_id) == attribution
    assert again.get_settlement(settlement.settlement_id) == settlement
    # Catalogue events are replayed: recording again is an upsert, the last one wins.
    features_dropped = replace(adapter, features_digest="")
    again.record_adapter(features_dropped)
    again.record_adapter(features_dropped)
    assert again.get_adapter(ADAPTER) == features_dropped
    assert again.get_adapter("other@1") is None
    assert again.get_snapshot("datanets/medical/snapshots/none") is None
    assert again.get_index(SNAPSHOT, "other-model") is None
    again.close()


def test_adapters_on_a_snapshot(repo: Repository) -> None:
    def adapter(ref: str, snapshot: str) -> AdapterInfo:
        return AdapterInfo(
            ref=ref,
            base_model="tiny-llama",
            owner=OWNER,
            adapter_sha256=b"\x01" * 32,
            snapshot=snapshot,
            snapshot_merkle_root=b"\x02" * 32 if snapshot else b"",
            adapter_model_digest="sha256:" + "03" * 32,
            adapter_config_digest="sha256:" + "04" * 32,
            features_digest="",
        )

    on_it = [adapter("b@1", SNAPSHOT), adapter("a@2", SNAPSHOT)]
    for item in (*on_it, adapter("c@1", "datanets/law/snapshots/s9"), adapter("d@1", "")):
        repo.record_adapter(item)
    assert repo.adapters_on_snapshot(SNAPSHOT) == sorted(on_it, key=lambda a: a.ref)
    assert repo.adapters_on_snapshot("datanets/none/snapshots/x") == []
