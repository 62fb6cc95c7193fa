"""A planted platform for the service's tests: a datanet snapshot of four contributors'
instruction records written exactly as the datanet writes it, and an adapter on the
catalogue's ``tiny-llama`` trained on it with its attribution features, all in a real object
store, with the ``SnapshotPublished`` and ``AdapterPublished`` events the producers would send.

Each contributor writes on a topic of their own (``influence/support.py``'s ``PLANTED``), so a
completion reproducing one record's answer has one right contributor. The adapter is trained
on the records rendered by the INSTRUCTION template the way ModelFactory renders them, so a
completion's prompt ids are what inference would feed the adapter.

Everything is deterministic (fixed keys, ids, seeds and times): two platforms built under
different roots hold the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import torch
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from google.protobuf.timestamp_pb2 import Timestamp
from safetensors.torch import save_file

from openledger.common.v1 import object_ref_pb2
from openledger.events.v1 import (
    datanet_events_pb2,
    inference_events_pb2,
    modelfactory_events_pb2,
)
from openledger_attribution.domain.model import AdapterInfo, CompletionInput, SnapshotInfo
from openledger_attribution.influence.features import FEATURES_FILE
from openledger_datanet.adapters.snapshot_files import JSONL_MEDIA_TYPE, write_snapshot_files
from openledger_datanet.domain.canonical import content_hash
from openledger_datanet.domain.merkle import MERKLE_SCHEME, MerkleTree
from openledger_datanet.domain.snapshot import SnapshotRecord
from openledger_kit.store import Digest, ObjectStore, open_store
from openledger_ml.catalogue import load_base_model
from openledger_ml.lora import save_adapter
from openledger_ml.models.loading import load_tokenizer
from openledger_ml.templates import (
    IGNORE_INDEX,
    INSTRUCTION_TEMPLATE,
    TaskTemplate,
    tokenize_example,
)
from openledger_ml.testing import model_cache_dir
from services.attribution.tests.influence.support import (
    PLANTED,
    PROJECTION_DIM,
    PROJECTION_SEED,
    Example,
    train_adapter,
    training_features,
)

BASE_MODEL = "tiny-llama"
DATANET = "datanets/planted"
SNAPSHOT = f"{DATANET}/snapshots/v1"
ADAPTER_ID = "planted-qa"
ADAPTER = f"{ADAPTER_ID}@1"
PUBLISH_TIME = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
COMPLETE_TIME = PUBLISH_TIME + timedelta(hours=1)
MAX_SEQ_LENGTH = 512
SAFETENSORS_MEDIA_TYPE = "application/octet-stream"
JSON_MEDIA_TYPE = "application/json"


def _account(name: str) -> LocalAccount:
    account: LocalAccount = Account.from_key(hashlib.sha256(f"planted:{name}".encode()).digest())
    return account


CONTRIBUTOR_NAMES = ("alice", "bob", "carol", "dave")
OWNER = _account("owner").address
PAYER = _account("payer").address
"""The default payer of ``PlantedPlatform.completion``."""


@dataclass(frozen=True)
class PlantedRecord:
    index: int
    record_id: str
    """A UUIDv7 (fixed)."""
    contributor: str
    """EIP-55 address."""
    name: str
    """``alice``, ``bob``, ...: whose topic it is."""
    content: dict[str, str]
    """``{"instruction": ..., "output": ...}``: a datanet instruction record."""
    content_hash: bytes
    prompt_ids: tuple[int, ...]
    """The instruction as the adapter's INSTRUCTION template renders and tokenizes it."""
    output_ids: tuple[int, ...]
    """The output's tokens, eos excluded (as ``CompletionRecorded`` carries them)."""


@dataclass(frozen=True)
class PlantedPlatform:
    root: Path
    store: ObjectStore
    store_url: str
    cache_dir: Path
    """The model cache the catalogue materialises ``tiny-llama`` into (``load_base_model``)."""
    snapshot: SnapshotInfo
    adapter: AdapterInfo
    """On ``tiny-llama``, trained on ``snapshot``, with attribution features."""
    snapshot_event: datanet_events_pb2.SnapshotPublished
    adapter_event: modelfactory_events_pb2.AdapterPublished
    contributors: dict[str, str]
    """``"alice"`` -> EIP-55 address."""
    records: tuple[PlantedRecord, ...]
    """Record i is snapshot record i."""

    def completion(
        self,
        record: int,
        *,
        inference_id: str | None = None,
        fee: int = 10**15,
        payer: str = PAYER,
        output_tokens: int | None = None,
    ) -> tuple[CompletionInput, inference_events_pb2.CompletionRecorded]:
        """A completion of the planted adapter reproducing record ``record``'s output (its
        first ``output_tokens`` when given), as the domain input and as the event inference
        publishes. ``inference_id`` defaults to a UUIDv7 fixed per record."""
        planted = self.records[record]
        output = planted.output_ids[:output_tokens]
        inference_id = inference_id or _uuid7(2, record)
        completion = CompletionInput(
            inference_id=inference_id,
            adapter=self.adapter.ref,
            adapter_sha256=self.adapter.adapter_sha256,
            base_model=self.adapter.base_model,
            payer=payer,
            prompt_ids=planted.prompt_ids,
            output_ids=output,
            fee=fee,
            finish_reason="STOP",
            complete_time=COMPLETE_TIME,
        )
        event = inference_events_pb2.CompletionRecorded(
            inference_id=inference_id,
            adapter=self.adapter.ref,
            adapter_sha256=self.adapter.adapter_sha256,
            base_model=self.adapter.base_model,
            payer_address=payer,
            prompt_token_ids=planted.prompt_ids,
            output_token_ids=output,
            prompt_token_count=len(planted.prompt_ids),
            output_token_count=len(output),
            finish_reason=inference_events_pb2.COMPLETION_FINISH_REASON_STOP,
            fee_per_1k_tokens="0",
            fee=str(fee),
            create_time=_timestamp(COMPLETE_TIME - timedelta(seconds=1)),
            complete_time=_timestamp(COMPLETE_TIME),
        )
        return completion, event


_built: dict[Path, PlantedPlatform] = {}
_lock = threading.Lock()


def planted_platform(root: Path) -> PlantedPlatform:
    """The platform under ``root`` (``root/objects`` is the store), built once per root and
    process. The model cache is the machine's shared test model cache, so ``tiny-llama`` is
    the same model the catalogue resolves."""
    root = root.resolve()
    with _lock:
        if root not in _built:
            _built[root] = _build(root)
        return _built[root]


def _build(root: Path) -> PlantedPlatform:
    torch.set_num_threads(1)
    cache_dir = model_cache_dir()
    base = load_base_model(None, cache_dir, BASE_MODEL)
    assert base is not None and base.local_path is not None, "the catalogue lacks tiny-llama"
    tokenizer = load_tokenizer(base.local_path)
    store_url = str(root / "objects")
    store = open_store(store_url)

    contributors = {name: str(_account(name).address) for name in CONTRIBUTOR_NAMES}
    records: list[PlantedRecord] = []
    snapshot_records: list[SnapshotRecord] = []
    examples: list[Example] = []
    for index, (name, instruction, output) in enumerate(PLANTED):
        content = {"instruction": instruction, "output": output}
        digest = content_hash(content)
        signature = bytes(_account(name).sign_message(encode_defunct(primitive=digest)).signature)
        record_id = _uuid7(1, index)
        snapshot_records.append(
            SnapshotRecord.build(
                index, record_id, contributors[name], content, digest, digest, signature
            )
        )
        example = tokenize_example(TaskTemplate.INSTRUCTION, content, tokenizer, MAX_SEQ_LENGTH)
        prompt_len = next(i for i, label in enumerate(example.labels) if label != IGNORE_INDEX)
        prompt_ids = tuple(example.input_ids[:prompt_len])
        taught = tuple(example.input_ids[prompt_len:])
        examples.append(Example(name, prompt_ids, taught))
        records.append(
            PlantedRecord(
                index=index,
                record_id=record_id,
                contributor=contributors[name],
                name=name,
                content=content,
                content_hash=digest,
                prompt_ids=prompt_ids,
                output_ids=taught[:-1],
            )
        )

    files = write_snapshot_files(store, snapshot_records)
    merkle_root = MerkleTree([r.leaf_hash for r in snapshot_records]).root
    jsonl = Digest(files.jsonl.sha256.hex())
    snapshot = SnapshotInfo(
        name=SNAPSHOT,
        merkle_root=merkle_root,
        record_count=len(records),
        jsonl_digest=jsonl.hexdigest,
        publish_time=PUBLISH_TIME,
    )

    model = train_adapter(examples)
    work = root / "adapter"
    save_adapter(model, work)
    features_path = work / FEATURES_FILE
    save_file(
        {
            "features": training_features(model, examples).to(torch.float16).contiguous(),
            "snapshot_indexes": torch.arange(len(examples), dtype=torch.int64),
        },
        str(features_path),
        metadata={
            "projection_dim": str(PROJECTION_DIM),
            "projection_seed": str(PROJECTION_SEED),
            "snapshot": SNAPSHOT,
            "merkle_root": "0x" + merkle_root.hex(),
        },
    )
    adapter_model = store.put_file(work / "adapter_model.safetensors")
    adapter_config = store.put_file(work / "adapter_config.json")
    features = store.put_file(features_path)
    lineage = store.put_bytes(
        json.dumps(
            {"snapshots": [{"snapshot": SNAPSHOT, "merkle_root": "0x" + merkle_root.hex()}]}
        ).encode()
    )
    adapter = AdapterInfo(
        ref=ADAPTER,
        base_model=BASE_MODEL,
        owner=OWNER,
        adapter_sha256=bytes.fromhex(adapter_model.hexdigest),
        snapshot=SNAPSHOT,
        snapshot_merkle_root=merkle_root,
        adapter_model_digest=adapter_model.hexdigest,
        adapter_config_digest=adapter_config.hexdigest,
        features_digest=features.hexdigest,
    )

    snapshot_event = datanet_events_pb2.SnapshotPublished(
        snapshot=SNAPSHOT,
        datanet=DATANET,
        sequence=1,
        merkle_root=merkle_root,
        merkle_scheme=MERKLE_SCHEME,
        record_count=len(records),
        contributor_count=len(contributors),
        cutoff_accept_sequence=len(records),
        jsonl=_ref(store, jsonl, JSONL_MEDIA_TYPE),
        create_time=_timestamp(PUBLISH_TIME - timedelta(minutes=1)),
        publish_time=_timestamp(PUBLISH_TIME),
    )
    adapter_event = modelfactory_events_pb2.AdapterPublished(
        adapter_id=ADAPTER_ID,
        version=1,
        adapter=ADAPTER,
        base_model=BASE_MODEL,
        base_model_revision=base.revision,
        snapshots=[
            modelfactory_events_pb2.AdapterTrainingSnapshot(
                snapshot=SNAPSHOT, merkle_root=merkle_root, record_count=len(records)
            )
        ],
        adapter_sha256=adapter.adapter_sha256,
        adapter_model=_ref(store, adapter_model, SAFETENSORS_MEDIA_TYPE),
        adapter_config=_ref(store, adapter_config, JSON_MEDIA_TYPE),
        lineage_manifest=_ref(store, lineage, JSON_MEDIA_TYPE),
        attribution_features=_ref(store, features, SAFETENSORS_MEDIA_TYPE),
        prompt_template=INSTRUCTION_TEMPLATE,
        fee_per_1k_tokens="1000000000000000",
        owner_address=OWNER,
        training_job="jobs/planted",
        publish_time=_timestamp(PUBLISH_TIME + timedelta(minutes=30)),
    )
    return PlantedPlatform(
        root=root,
        store=store,
        store_url=store_url,
        cache_dir=cache_dir,
        snapshot=snapshot,
        adapter=adapter,
        snapshot_event=snapshot_event,
        adapter_event=adapter_event,
        contributors=contributors,
        records=tuple(records),
    )


def _uuid7(kind: int, index: int) -> str:
    """A fixed UUIDv7: the planted epoch in milliseconds, then ``kind`` and ``index``."""
    millis = int(PUBLISH_TIME.timestamp() * 1000)
    value = (millis << 80) | (0x7 << 76) | (kind << 64) | (0b10 << 62) | index
    return str(uuid.UUID(int=value))


def _ref(store: ObjectStore, digest: Digest, media_type: str) -> object_ref_pb2.ObjectRef:
    location = store.location(digest)
    return object_ref_pb2.ObjectRef(
        uri=Path(location).as_uri() if Path(location).is_absolute() else location,
        sha256=bytes.fromhex(digest.hexdigest),
        size_bytes=store.size(digest),
        media_type=media_type,
    )


def _timestamp(when: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(when)
    return stamp
