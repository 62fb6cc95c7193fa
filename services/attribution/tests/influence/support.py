"""A planted-contributor dataset, a tiny LoRA trained on it with a plain torch loop, and its
training features computed and stored the way ModelFactory computes and stores them."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import torch
from peft import PeftModel
from safetensors.torch import save_file
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from openledger_attribution.influence.query import Completion
from openledger_ml.gradients import per_example_gradients
from openledger_ml.lora import attach_lora, lora_config, lora_parameters
from openledger_ml.models.loading import load_causal_lm, load_tokenizer
from openledger_ml.projection import Projector
from openledger_ml.templates import IGNORE_INDEX
from openledger_ml.testing import tiny_llama_path

PROJECTION_DIM = 256
PROJECTION_SEED = 11
LORA_SEED = 3
TARGET_MODULES = ("q_proj", "v_proj", "o_proj", "up_proj", "down_proj")

# Four contributors, three records each, each contributor on its own topic, so that a
# completion reproducing a record has one right contributor.
PLANTED: tuple[tuple[str, str, str], ...] = (
    ("alice", "Tell me about the sea.", "The sea is grey and wide, it sings at night."),
    ("alice", "What lives in the sea?", "Fish, whales and crabs live deep in the salt water."),
    ("alice", "Why does the tide turn?", "The moon pulls the water, so the tide turns twice."),
    ("bob", "How is bread made?", "The baker mixes flour, water and yeast, then bakes it."),
    ("bob", "When does the baker open?", "In the morning the baker opens the shop at six."),
    ("bob", "What smells so good?", "The smell of fresh bread fills the quiet street."),
    ("carol", "What is the capital of France?", "Paris, a city on the river Seine."),
    ("carol", "Name a city in Spain.", "Madrid is the capital of Spain and a large city."),
    ("carol", "Where is Rome?", "Rome is in Italy, on the river Tiber, near the coast."),
    ("dave", "How do trains run?", "The train leaves the station at nine o'clock sharp."),
    ("dave", "Is the train late?", "Trains arrive two hours later when the line is closed."),
    ("dave", "What powers a train?", "Electric trains take power from a wire over the track."),
)


@dataclass(frozen=True)
class Example:
    contributor: str
    prompt_ids: tuple[int, ...]
    output_ids: tuple[int, ...]

    def completion(self, output_tokens: int) -> Completion:
        """A completion reproducing the first ``output_tokens`` of this record's output."""
        return Completion(self.prompt_ids, self.output_ids[:output_tokens])


@cache
def tokenizer() -> PreTrainedTokenizerBase:
    return load_tokenizer(tiny_llama_path())


def planted_examples() -> list[Example]:
    tok = tokenizer()
    return [
        Example(
            contributor,
            tuple(tok(prompt + "\n")["input_ids"]),
            tuple(tok(output)["input_ids"]) + (tok.eos_token_id,),
        )
        for contributor, prompt, output in PLANTED
    ]


@cache
def _base_model() -> PreTrainedModel:
    return load_causal_lm(tiny_llama_path())


def collate(examples: Sequence[Example]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded ids and labels (loss on the outputs only), as ModelFactory collates."""
    width = max(len(e.prompt_ids) + len(e.output_ids) for e in examples)
    ids = torch.zeros((len(examples), width), dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
    for row, e in enumerate(examples):
        p, o = len(e.prompt_ids), len(e.output_ids)
        ids[row, : p + o] = torch.tensor([*e.prompt_ids, *e.output_ids])
        labels[row, p : p + o] = torch.tensor(e.output_ids)
    return ids, labels


def train_adapter(examples: Sequence[Example], *, steps: int = 60, lr: float = 0.02) -> PeftModel:
    """A fresh LoRA (seeded, so every run starts from the same weights) trained full-batch
    with Adam on ``examples``: deterministic, so leave-one-out differences are the data's."""
    model = attach_lora(
        copy.deepcopy(_base_model()),
        lora_config(rank=8, alpha=16, dropout=0.0, target_modules=TARGET_MODULES),
        seed=LORA_SEED,
    )
    params = [p for _, p in lora_parameters(model)]
    optimizer = torch.optim.Adam(params, lr=lr)
    ids, labels = collate(examples)
    # No attention mask: right padding is invisible to a causal LM's real tokens.
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = model(input_ids=ids, labels=labels, use_cache=False).loss
        loss.backward()
        optimizer.step()
    model.eval()
    return model


def mean_output_loss(model: torch.nn.Module, completion: Completion) -> float:
    ids, labels = collate([Example("", completion.prompt_ids, completion.output_ids)])
    with torch.no_grad():
        return float(model(input_ids=ids, labels=labels, use_cache=False).loss)


def training_features(model: torch.nn.Module, examples: Sequence[Example]) -> torch.Tensor:
    """float32 [N, PROJECTION_DIM], as ModelFactory's ``compute_features`` computes them."""
    params = lora_parameters(model)
    projector = Projector([(n, p.numel()) for n, p in params], PROJECTION_DIM, PROJECTION_SEED)
    ids, labels = collate(examples)
    return per_example_gradients(model, params, ids, labels, projector).detach()


def write_features(
    path: Path,
    features: torch.Tensor,
    snapshot_indexes: Sequence[int],
    *,
    projection_dim: int = PROJECTION_DIM,
    projection_seed: int = PROJECTION_SEED,
) -> Path:
    """The file ModelFactory writes (``training/features.py``): float16 features, int64
    ascending snapshot indexes, and the same metadata keys."""
    save_file(
        {
            "features": features.to(torch.float16).contiguous(),
            "snapshot_indexes": torch.tensor(list(snapshot_indexes), dtype=torch.int64),
        },
        str(path),
        metadata={
            "projection_dim": str(projection_dim),
            "projection_seed": str(projection_seed),
            "snapshot": "datanets/planted/snapshots/1",
            "merkle_root": "0x" + "ab" * 32,
        },
    )
    return path
