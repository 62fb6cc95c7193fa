"""``ModelFactoryDirectory`` against a real ModelFactory API server (port 0, SQLite, Redis,
the session's deployment) holding one stored adapter version."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from openledger_inference.adapters.modelfactory import ModelFactoryDirectory
from openledger_inference.domain.model import AdapterRef
from openledger_kit.testing.processes import RedisProcess
from openledger_modelfactory.config import Settings
from openledger_modelfactory.server import ModelFactoryServer, create_modelfactory_server
from services.inference.tests.support.platform import Platform, unique_ref
from services.modelfactory.tests import domain_samples

pytestmark = pytest.mark.slow

CATALOGUE = """\
models:
  - id: tiny-llama
    display_name: Tiny Llama
    description: the test model
    source: packaged
    location: tiny-llama
    license: Apache-2.0
    max_lora_rank: 16
    default_target_modules: [q_proj, v_proj]
"""


@pytest.fixture(scope="module")
async def modelfactory(
    platform: Platform, redis_server: RedisProcess, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ModelFactoryServer]:
    state = tmp_path_factory.mktemp("modelfactory")
    catalogue = state / "catalogue.yaml"
    catalogue.write_text(CATALOGUE)
    settings = Settings(
        grpc_port=0,
        role="api",
        redis_url=redis_server.url,
        database_url=f"sqlite:///{state / 'modelfactory.db'}",
        object_store_url=str(state / "objects"),
        l2_rpc_url=platform.l2_url,
        deployment_manifest=platform.manifest_path,
        deployment_id="openledger-test-inference",
        auth_nonce_store="memory",
        datanet_addr="127.0.0.1:9",
        catalogue_file=catalogue,
        model_cache_dir=state / "models",
        work_dir=state / "work",
        chain_required=False,
        log_json=False,
    )
    server = await create_modelfactory_server(settings)
    await server.start()
    yield server
    await server.stop(1.0)


async def test_describe_by_get_adapter(modelfactory: ModelFactoryServer, tmp_path: Path) -> None:
    ref = unique_ref("described")
    sample = domain_samples.adapter(adapter_id=ref.adapter_id, version=ref.version)
    modelfactory.repository.create_adapter(sample)
    directory = ModelFactoryDirectory(f"127.0.0.1:{modelfactory.port}")
    try:
        descriptor = await directory.describe(ref)
        assert descriptor is not None
        assert descriptor.ref == ref
        assert descriptor.base_model == "tiny-llama"
        assert descriptor.adapter_sha256 == sample.adapter_sha256
        assert descriptor.adapter_config_sha256 == sample.adapter_config.sha256
        assert descriptor.task_template == "instruction"
        assert descriptor.fee_per_1k_tokens == sample.fee_per_1k_tokens
        assert await directory.describe(AdapterRef(ref.adapter_id, 2)) is None
        assert await directory.describe(unique_ref("missing")) is None
    finally:
        await directory.close()
