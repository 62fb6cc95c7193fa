"""The key/value cache of a running batch, kept right-aligned: every row's latest token sits in
the last column and shorter rows are padded on the left, masked out by the attention mask.
That alignment is what lets rows join (their caches are left-padded to a common length and
concatenated) and leave (their rows are dropped) between any two decoding steps.

Padding keys and values are zeros and the mask hides them, so with eager attention a padded
position gets exactly zero weight: a row's logits do not depend on its batch mates' lengths."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

Layers = list[tuple[torch.Tensor, torch.Tensor]]
"""Per decoder layer: keys and values, ``[rows, kv_heads, length, head_dim]``."""


@dataclass
class KvBatch:
    layers: Layers
    mask: torch.Tensor
    """``[rows, length]``: 1 where a real token's keys and values are cached."""
    positions: torch.Tensor
    """``[rows]``: the position the row's next input token takes (its real length so far)."""

    @property
    def rows(self) -> int:
        return int(self.mask.shape[0])

    @property
    def length(self) -> int:
        return int(self.mask.shape[1])

    def cache(self) -> DynamicCache:
        return DynamicCache(ddp_cache_data=self.layers)

    def select(self, rows: Sequence[int]) -> KvBatch | None:
        """The batch of ``rows`` only (None when empty), without columns that became all
        padding."""
        if not rows:
            return None
        index = torch.tensor(rows, dtype=torch.long, device=self.mask.device)
        mask = self.mask.index_select(0, index)
        used = mask.any(dim=0).nonzero()
        start = int(used[0]) if used.numel() else mask.shape[1]
        return KvBatch(
            layers=[
                (k.index_select(0, index)[:, :, start:], v.index_select(0, index)[:, :, start:])
                for k, v in self.layers
            ],
            mask=mask[:, start:],
            positions=self.positions.index_select(0, index),
        )


def from_cache(cache: DynamicCache, mask: torch.Tensor, positions: torch.Tensor) -> KvBatch:
    """The batch state after a forward pass that filled ``cache``."""
    layers: Layers = []
    for layer in cache.layers:
        if not isinstance(layer, DynamicLayer) or layer.keys is None or layer.values is None:
            raise RuntimeError(f"the forward pass left a {type(layer).__name__} cache layer")
        layers.append((layer.keys, layer.values))
    return KvBatch(layers=layers, mask=mask, positions=positions)


def concat(first: KvBatch | None, second: KvBatch | None) -> KvBatch | None:
    """``first``'s rows then ``second``'s, both left-padded to the longer length."""
    if first is None or second is None:
        return first or second
    length = max(first.length, second.length)
    a, b = _left_pad(first, length), _left_pad(second, length)
    return KvBatch(
        layers=[
            (torch.cat([ka, kb]), torch.cat([va, vb]))
            for (ka, va), (kb, vb) in zip(a.layers, b.layers, strict=True)
        ],
        mask=torch.cat([a.mask, b.mask]),
        positions=torch.cat([a.positions, b.positions]),
    )


def _left_pad(batch: KvBatch, length: int) -> KvBatch:
    pad = length - batch.length
    if pad == 0:
        return batch

    def padded(tensor: torch.Tensor) -> torch.Tensor:
        rows, heads, _, dim = tensor.shape
        zeros = tensor.new_zeros((rows, heads, pad, dim))
        return torch.cat([zeros, tensor], dim=2)

    return KvBatch(
        layers=[(padded(k), padded(v)) for k, v in batch.layers],
        mask=torch.cat([batch.mask.new_zeros((batch.rows, pad)), batch.mask], dim=1),
        positions=batch.positions,
    )
