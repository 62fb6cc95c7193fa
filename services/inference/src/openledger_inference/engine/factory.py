"""From a node's settings to what it serves: the base model, resolved from the catalogue on this
machine, and the engine that runs it (torch, or vLLM when that optional extra is installed)."""

from __future__ import annotations

from openledger_inference.config import NodeSettings
from openledger_inference.domain.ports import Engine, ServedModel
from openledger_kit.errors import FailedPrecondition
from openledger_ml.catalogue import CatalogueError, load_base_model


def resolve_served_model(settings: NodeSettings) -> ServedModel:
    """The catalogue entry ``settings.base_model`` as a local model (packaged models are built
    into ``settings.model_cache_dir`` on first use). ``FailedPrecondition`` when the catalogue
    is malformed, has no such entry, or the entry's weights are not on this machine."""
    try:
        info = load_base_model(
            settings.catalogue_file, settings.model_cache_dir, settings.base_model
        )
    except CatalogueError as e:
        raise FailedPrecondition(
            f"OL_INFERENCE_CATALOGUE_FILE: {e}", reason="CATALOGUE_INVALID"
        ) from e
    if info is None:
        raise FailedPrecondition(
            f"OL_INFERENCE_BASE_MODEL: {settings.base_model!r} is not in the catalogue",
            reason="BASE_MODEL_UNKNOWN",
        )
    if not info.available or info.local_path is None:
        raise FailedPrecondition(
            f"OL_INFERENCE_BASE_MODEL: {info.id} is unavailable on this machine: "
            f"{info.unavailable_reason}",
            reason="BASE_MODEL_UNAVAILABLE",
        )
    return ServedModel(
        id=info.id,
        revision=info.revision,
        path=info.local_path,
        context_length=info.context_length,
        vocab_size=info.vocab_size,
    )


def make_engine(settings: NodeSettings, model: ServedModel) -> Engine:
    """The engine ``settings.engine`` names, not started. Engines are imported here, so a node
    imports only the one it runs (vLLM is an optional extra)."""
    if settings.engine == "vllm":
        from openledger_inference.engine.vllm_engine import VllmEngine

        return VllmEngine(
            model,
            max_concurrent_requests=settings.max_concurrent_requests,
            max_queued_requests=settings.max_queued_requests,
            max_loras=settings.max_loras,
            max_cpu_loras=settings.max_cpu_loras,
            max_lora_rank=settings.max_lora_rank,
            max_context_tokens=settings.max_context_tokens,
            gpu_memory_utilization=settings.gpu_memory_utilization,
        )
    from openledger_inference.engine.torch_engine import TorchEngine

    return TorchEngine(
        model,
        device=settings.device,
        max_concurrent_requests=settings.max_concurrent_requests,
        max_queued_requests=settings.max_queued_requests,
        max_loras=settings.max_loras,
        max_cpu_loras=settings.max_cpu_loras,
        max_lora_rank=settings.max_lora_rank,
        max_context_tokens=settings.max_context_tokens,
    )
