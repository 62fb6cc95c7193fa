from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import torch

from openledger_attribution.adapters.chain import ParamsReader, Settler
from openledger_attribution.adapters.evidence import ProtobufEvidence
from openledger_attribution.adapters.gradients import GradientLibrary
from openledger_attribution.adapters.indexes import IndexLibrary
from openledger_attribution.adapters.models import BaseModelLibrary
from openledger_attribution.adapters.repository import Repository
from openledger_attribution.domain.attributor import Attributor, ScoringConfig
from openledger_attribution.domain.model import GovernedParams
from openledger_attribution.domain.policy import PolicyConfig
from openledger_attribution.domain.ports import Params
from services.attribution.tests.settlement.conftest import Chain, chain, contract_artifacts
from services.attribution.tests.support.fixtures import planted
from services.attribution.tests.support.planted import PlantedPlatform

__all__ = ["Platform", "chain", "contract_artifacts", "planted", "platform"]

SPAN_ONLY = PolicyConfig(gradient_only_max_parameters=0, span_only_min_parameters=1)


class FrozenParams:
    """Governed parameters held fixed (the threshold tests set their own)."""

    def __init__(self, params: GovernedParams) -> None:
        self.params = params

    async def current(self) -> GovernedParams:
        return self.params


@dataclass
class Platform:
    planted: PlantedPlatform
    repository: Repository
    models: BaseModelLibrary
    indexes: IndexLibrary
    gradients: GradientLibrary
    reader: ParamsReader
    settler: Settler
    governed: GovernedParams

    def attributor(
        self,
        *,
        policy: PolicyConfig = PolicyConfig(),  # noqa: B008  # frozen
        params: Params | None = None,
        adapter_wait_seconds: float = 0.0,
        gradients: GradientLibrary | None = None,
    ) -> Attributor:
        return Attributor(
            repository=self.repository,
            store=self.planted.store,
            base_models=self.models,
            indexes=self.indexes,
            gradients=gradients or self.gradients,
            params=params or self.reader,
            chain=self.settler,
            evidence=ProtobufEvidence(),
            config=ScoringConfig(policy=policy, adapter_wait_seconds=adapter_wait_seconds),
        )

    def frozen(self, threshold_bps: int) -> FrozenParams:
        return FrozenParams(replace(self.governed, threshold_bps=threshold_bps))


@pytest.fixture(scope="module")
async def platform(
    planted: PlantedPlatform, chain: Chain, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    torch.set_num_threads(1)
    root: Path = tmp_path_factory.mktemp("attributor")
    repository = Repository.open(f"sqlite:///{root / 'attribution.db'}")
    repository.record_snapshot(planted.snapshot)
    repository.record_adapter(planted.adapter)
    models = BaseModelLibrary(None, planted.cache_dir)
    reader = ParamsReader(chain.l2_url, chain.platform.manifest_path)
    settler = Settler(chain.l2_url, chain.platform.manifest_path, chain.settlers[0])
    yield Platform(
        planted=planted,
        repository=repository,
        models=models,
        indexes=IndexLibrary(repository, planted.store, models, root / "indexes"),
        gradients=GradientLibrary(repository, planted.store, models, root / "adapters"),
        reader=reader,
        settler=settler,
        governed=await reader.current(),
    )
    await reader.close()
    await settler.close()
    repository.close()
