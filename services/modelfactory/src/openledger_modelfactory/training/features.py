"""Attribution features after training: each training example's LoRA gradient, projected.

Every rank computes its share of the training examples (``train_rows[rank::world_size]``, no
padding, so each example is computed once), the shares are gathered to rank 0 with
``all_gather`` on tensors padded to the largest share (no pickled objects cross the workers),
and rank 0 writes ``attribution_features.safetensors``:

- ``features``: float16 [train_examples, projection_dim];
- ``snapshot_indexes``: int64 [train_examples], ascending: row i is the features of snapshot
  record ``snapshot_indexes[i]``;
- metadata ``projection_dim``, ``projection_seed``, ``snapshot``, ``merkle_root`` (0x hex).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from safetensors.torch import save_file

from openledger_ml.gradients import per_example_gradients
from openledger_ml.lora import lora_parameters
from openledger_ml.projection import Projector
from openledger_modelfactory.training.data import PreparedData, collate
from openledger_modelfactory.training.spec import RunSpec

if TYPE_CHECKING:
    from openledger_modelfactory.training.loop import World

FEATURES_FILE = "attribution_features.safetensors"


def compute_features(
    model: torch.nn.Module, data: PreparedData, world: World, spec: RunSpec, out_file: Path
) -> Path | None:
    """Compute and gather the features; rank 0 writes ``out_file`` and returns it, the other
    ranks return None. ``model`` is the trained peft model (not DDP-wrapped)."""
    attribution = spec.config.attribution
    params = lora_parameters(model)
    projector = Projector(
        [(name, p.numel()) for name, p in params],
        attribution.projection_dim,
        attribution.projection_seed,
    )
    rows = data.train_rows[world.rank :: world.size].tolist()
    share = math.ceil(data.train_examples / world.size)
    features = torch.zeros(share, attribution.projection_dim, dtype=torch.float32)
    indexes = torch.full((share,), -1, dtype=torch.int64)
    # Examples per vmap call: the job's micro-batch, whose activations training already holds
    # (and ``domain.memory`` budgets, with the batch's per-example gradients); a smaller one
    # made the features cost about half as much again (``python -m bench modelfactory``).
    step = spec.config.batch_size
    for start in range(0, len(rows), step):
        batch = rows[start : start + step]
        # No attention mask: right padding is exact for a causal LM (see openledger_ml).
        input_ids, labels, _ = collate(data, batch, world.device)
        projected = per_example_gradients(model, params, input_ids, labels, projector)
        features[start : start + len(batch)] = projected.detach().to("cpu", torch.float32)
        indexes[start : start + len(batch)] = data.snapshot_indexes[batch]
    gathered_features = world.all_gather(features.to(world.device))
    gathered_indexes = world.all_gather(indexes.to(world.device))
    if world.rank != 0:
        return None
    all_features = torch.cat([t.cpu() for t in gathered_features])
    all_indexes = torch.cat([t.cpu() for t in gathered_indexes])
    keep = all_indexes >= 0
    all_features, all_indexes = all_features[keep], all_indexes[keep]
    order = torch.argsort(all_indexes)
    save_file(
        {
            "features": all_features[order].to(torch.float16).contiguous(),
            "snapshot_indexes": all_indexes[order].contiguous(),
        },
        str(out_file),
        metadata={
            "projection_dim": str(attribution.projection_dim),
            "projection_seed": str(attribution.projection_seed),
            "snapshot": spec.config.snapshot,
            "merkle_root": spec.snapshot_merkle_root,
        },
    )
    return out_file
