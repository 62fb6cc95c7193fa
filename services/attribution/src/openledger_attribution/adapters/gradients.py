"""Adapters ready for gradient influence: the adapter's files and its training features
fetched from the object store, the base model with the adapter loaded for completion
gradients, and a scorer over the features whose records' contributors come from the training
snapshot. A few adapters are kept (least recently used goes first); loads run in a thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import tempfile
from collections import OrderedDict
from pathlib import Path

from openledger_attribution.adapters.flights import SingleFlight
from openledger_attribution.adapters.models import BaseModelLibrary
from openledger_attribution.adapters.records import read_records
from openledger_attribution.domain.model import AdapterInfo, SnapshotInfo
from openledger_attribution.domain.ports import GradientModel, Repository
from openledger_attribution.influence.features import TrainingFeatures, parse_features
from openledger_attribution.influence.query import QueryGradients
from openledger_attribution.influence.scoring import InfluenceParameters, InfluenceScorer
from openledger_kit.errors import FailedPrecondition
from openledger_kit.store import Digest, ObjectStore

NO_GRADIENT_FEATURES = "NO_GRADIENT_FEATURES"
FEATURES_LINEAGE_MISMATCH = "FEATURES_LINEAGE_MISMATCH"
SNAPSHOT_UNKNOWN = "SNAPSHOT_UNKNOWN"
DEFAULT_CAPACITY = 4
_DOMAIN = "openledger.attribution"


class GradientLibrary:
    """``ports.GradientModels``; adapter files are kept under ``work_dir``."""

    def __init__(
        self,
        repository: Repository,
        store: ObjectStore,
        models: BaseModelLibrary,
        work_dir: Path,
        *,
        capacity: int = DEFAULT_CAPACITY,
        influence: InfluenceParameters = InfluenceParameters(),  # noqa: B008  # frozen
    ) -> None:
        self._repository = repository
        self._store = store
        self._models = models
        self._work_dir = work_dir
        self._capacity = capacity
        self._influence = influence
        self._loaded: OrderedDict[str, GradientModel] = OrderedDict()
        self._flights: SingleFlight[str, GradientModel] = SingleFlight()

    async def get(self, adapter: AdapterInfo) -> GradientModel:
        """Raises ``FailedPrecondition(NO_GRADIENT_FEATURES)`` for an adapter without them and
        ``FailedPrecondition(FEATURES_LINEAGE_MISMATCH)`` for features of another snapshot."""
        loaded = self._loaded.get(adapter.ref)
        if loaded is not None and loaded.adapter == adapter:
            self._loaded.move_to_end(adapter.ref)
            return loaded
        if not adapter.has_features:
            raise FailedPrecondition(
                f"adapter {adapter.ref} has no attribution features",
                reason=NO_GRADIENT_FEATURES,
                domain=_DOMAIN,
            )
        model = await self._flights.run(adapter.ref, lambda: self._load(adapter))
        self._loaded[adapter.ref] = model
        self._loaded.move_to_end(adapter.ref)
        while len(self._loaded) > self._capacity:
            self._loaded.popitem(last=False)
        return model

    async def _load(self, adapter: AdapterInfo) -> GradientModel:
        base_path = await self._models.local_path(adapter.base_model)
        snapshot = await asyncio.to_thread(self._repository.get_snapshot, adapter.snapshot)
        if snapshot is None:
            raise FailedPrecondition(
                f"adapter {adapter.ref}: its training snapshot {adapter.snapshot!r} is not"
                " known (yet)",
                reason=SNAPSHOT_UNKNOWN,
                domain=_DOMAIN,
            )
        features, features_sha256 = await asyncio.to_thread(self._features, adapter)
        contributors = await asyncio.to_thread(self._contributors, snapshot)
        queries = await asyncio.to_thread(self._queries, adapter, base_path, features)
        scorer = InfluenceScorer(features, contributors, self._influence)
        return GradientModel(
            adapter=adapter,
            features=features,
            features_sha256=features_sha256,
            queries=queries,
            scorer=scorer,
        )

    # ---- on worker threads -------------------------------------------------------------------

    def _features(self, adapter: AdapterInfo) -> tuple[TrainingFeatures, bytes]:
        data = self._store.get_bytes(Digest(adapter.features_digest), verify=True)
        features = parse_features(data)
        root = "0x" + adapter.snapshot_merkle_root.hex()
        if features.snapshot != adapter.snapshot or features.merkle_root.lower() != root:
            raise FailedPrecondition(
                f"adapter {adapter.ref}: its features were computed on {features.snapshot}"
                f" (root {features.merkle_root}), its lineage is {adapter.snapshot} (root {root})",
                reason=FEATURES_LINEAGE_MISMATCH,
                domain=_DOMAIN,
            )
        return features, hashlib.sha256(data).digest()

    def _contributors(self, snapshot: SnapshotInfo) -> list[str]:
        return [entry.contributor for entry in read_records(self._store, snapshot)]

    def _queries(
        self, adapter: AdapterInfo, base_path: Path, features: TrainingFeatures
    ) -> QueryGradients:
        directory = self._work_dir / adapter.adapter_model_digest
        if not directory.is_dir():
            self._fetch(adapter, directory)
        return QueryGradients.load(
            base_path,
            directory,
            projection_dim=features.projection_dim,
            projection_seed=features.projection_seed,
        )

    def _fetch(self, adapter: AdapterInfo, directory: Path) -> None:
        self._work_dir.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=self._work_dir, prefix=".partial-"))
        try:
            for name, digest in (
                ("adapter_model.safetensors", adapter.adapter_model_digest),
                ("adapter_config.json", adapter.adapter_config_digest),
            ):
                with (scratch / name).open("wb") as out:
                    for chunk in self._store.iter_chunks(Digest(digest), verify=True):
                        out.write(chunk)
            try:
                scratch.rename(directory)
            except OSError:
                # Another process published the same files first.
                if not directory.is_dir():
                    raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
