"""ModelFactory's step of ``openledger demo``: a model owner fine-tunes a LoRA adapter of
SmolLM2-135M-Instruct on the datanet step's snapshot, on the local Ray, with a progress bar fed
by ``WatchJob``; the adapter's hash is then checked against the ``ModelRegistry`` on L2."""

from __future__ import annotations

import asyncio
import time
import uuid

from rich.console import Console

from openledger.common.v1 import job_pb2
from openledger.modelfactory.v1 import job_config_pb2, training_job_pb2
from openledger.modelfactory.v1 import modelfactory_service_pb2 as pb
from openledger.modelfactory.v1 import modelfactory_service_pb2_grpc as pb_grpc
from openledger_kit.chain import DeploymentManifest, connected, parse_private_key
from openledger_kit.client import connect
from openledger_kit.contracts import ModelRegistry
from openledger_kit.localnet.components import L2_RPC_URL
from openledger_kit.localnet.demo import DemoContext, DemoStep
from openledger_kit.localnet.processes import ANVIL_DEV_KEYS
from openledger_modelfactory.cli import watch_with_progress
from openledger_modelfactory.localnet import ADDR_ENV, MANIFEST_ENV

DEPLOYMENT_ID = "openledger-local"
BASE_MODEL = "baseModels/smollm2-135m-instruct"


def _run(ctx: DemoContext) -> None:
    asyncio.run(_demo(ctx))


async def _demo(ctx: DemoContext) -> None:
    snapshot = ctx.shared.get("datanet.snapshot")
    if not isinstance(snapshot, str):
        raise RuntimeError("the datanet step did not leave a snapshot to train on")
    owner = parse_private_key(ANVIL_DEV_KEYS[5], source="anvil development key 5")
    channel = connect(ctx.env(ADDR_ENV), signer=owner, deployment_id=DEPLOYMENT_ID)
    stub = pb_grpc.ModelFactoryServiceStub(channel)  # type: ignore[no-untyped-call]
    try:
        models = await stub.ListBaseModels(pb.ListBaseModelsRequest())
        for model in models.base_models:
            ctx.say(
                f"base model {model.name}: {model.parameter_count / 1e6:.1f}M parameters, "
                f"revision {model.revision[:12]}…, "
                + ("available" if model.available else model.unavailable_reason)
            )
        adapter_id = f"medical-qa-{int(time.time())}"
        config = job_config_pb2.TrainingJobConfig(
            base_model=BASE_MODEL,
            snapshot=snapshot,
            adapter_id=adapter_id,
            task_template=job_config_pb2.TASK_TEMPLATE_INSTRUCTION,
            field_mapping={"instruction": "/question", "output": "/answer"},
            preset="cpu-tiny",
            epochs=6,
            eval_fraction=0.2,
            fee_per_1k_tokens=str(10**15),
        )
        created = await stub.CreateTrainingJob(
            pb.CreateTrainingJobRequest(
                request_id=str(uuid.uuid4()),
                training_job=training_job_pb2.TrainingJob(
                    display_name="Medical Q&A on SmolLM2", config=config
                ),
            )
        )
        job = created.training_job
        estimate = job.memory_estimate
        ctx.say(
            f"owner {owner.address} created {job.name}: LoRA rank {job.config.lora.rank} on "
            f"{', '.join(job.config.lora.target_modules)}, {job.config.num_workers} Ray "
            f"worker(s), ≈{estimate.total_bytes / 2**20:.0f} MiB per worker"
        )
        updates = await watch_with_progress(stub, job.name, Console(file=ctx.out))
        final = updates[-1]
        if final.state != job_pb2.JOB_STATE_SUCCEEDED:
            raise RuntimeError(f"training failed: {final.error_reason}: {final.error_message}")
        losses = [u.loss for u in updates if u.loss]
        if losses:
            ctx.say(
                f"training loss {losses[0]:.3f} → {losses[-1]:.3f} over {final.step} steps "
                f"({len(updates)} updates streamed by WatchJob)"
            )
        adapter = (await stub.GetAdapter(pb.GetAdapterRequest(name=final.adapter))).adapter
        metrics = adapter.metrics
        ctx.say(
            f"adapter {adapter.name}: {adapter.trainable_parameters:,} LoRA parameters, "
            f"{metrics.train_examples} train / {metrics.eval_examples} eval examples, "
            f"{metrics.steps} steps, train loss {metrics.train_loss:.3f}, eval loss "
            f"{metrics.eval_loss:.3f}"
        )
        ctx.say(
            f"  lineage: {adapter.base_model}@{adapter.base_model_revision[:12]}…, "
            f"{adapter.snapshots[0].snapshot} root 0x{adapter.snapshots[0].merkle_root.hex()[:16]}…"
        )
        if adapter.HasField("attribution_features"):
            ctx.say(
                f"  attribution features: {adapter.attribution_features.size_bytes:,} bytes "
                f"(projected per-example LoRA gradients, float16)"
            )
        manifest = DeploymentManifest.load(ctx.env(MANIFEST_ENV))
        async with connected(ctx.env(L2_RPC_URL)) as l2:
            registry = await ModelRegistry.load(manifest, l2)
            key = ModelRegistry.adapter_key(adapter.adapter_id, adapter.version)
            registered = await registry.is_registered(key, adapter.adapter_sha256)
        ctx.say(
            f"  sha256 {adapter.adapter_sha256.hex()[:16]}… registered on ModelRegistry in L2 "
            f"block {adapter.registration.block_number}: {registered}"
        )
        if not registered:
            raise RuntimeError("the adapter's hash is not the one on the ModelRegistry")
        ctx.shared["modelfactory.adapter"] = f"{adapter.adapter_id}@{adapter.version}"
    finally:
        await channel.close()


STEP = DemoStep(
    name="modelfactory",
    title="ModelFactory: a LoRA fine-tune of SmolLM2-135M on the snapshot, on Ray, "
    "registered on L2",
    run=_run,
    order=30,
    services=("modelfactory",),
)
