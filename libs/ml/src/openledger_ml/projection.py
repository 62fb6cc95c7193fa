"""A fixed random projection of LoRA gradients to a small dimension (Johnson-Lindenstrauss),
the same on every machine: features stored at training time are compared with features of a
completion computed later, elsewhere, so both must use the same matrix.

The matrix R (P x dim, P the number of LoRA parameters, up to ~500k) is never built whole
unless the cache allows it: it is cut into tiles of ``TILE_ROWS`` rows of one parameter
block, each drawn from its own CPU generator seeded from (seed, block name, tile index), so any
tile can be regenerated alone. Tiles are cached in order up to ``cache_bytes``; the rest are
regenerated on every call.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence

import torch

TILE_ROWS = 1024
DEFAULT_CACHE_BYTES = 256 << 20
_FLOAT32_BYTES = 4


class Projector:
    """``project(g) = g_flat @ R / sqrt(dim)`` with R standard Gaussian, g_flat the blocks'
    gradients flattened and concatenated in ``shapes`` order."""

    def __init__(
        self,
        shapes: Sequence[tuple[str, int]],
        dim: int,
        seed: int,
        *,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        if dim < 1:
            raise ValueError(f"dim must be positive, got {dim}")
        names = [name for name, _ in shapes]
        if len(set(names)) != len(names):
            raise ValueError("shapes: block names must be unique")
        if not shapes or any(size < 1 for _, size in shapes):
            raise ValueError("shapes: at least one block, each of positive size")
        self.shapes: tuple[tuple[str, int], ...] = tuple((name, int(n)) for name, n in shapes)
        self.dim = dim
        self.seed = seed
        self.input_dim = sum(size for _, size in self.shapes)
        self._cache_bytes = cache_bytes
        self._cached_bytes = 0
        self._cache: dict[tuple[str, int], torch.Tensor] = {}

    def project(self, grads: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """``grads[name]`` of shape [B, *block shape] for every block → float32 [B, dim], on
        the gradients' device."""
        extra = set(grads) - {name for name, _ in self.shapes}
        if extra:
            raise ValueError(f"grads: blocks {sorted(extra)} are not in the projection")
        out: torch.Tensor | None = None
        for name, size in self.shapes:
            if name not in grads:
                raise ValueError(f"grads: block {name!r} is missing")
            block = grads[name]
            flat = block.reshape(block.shape[0], -1).to(torch.float32)
            if flat.shape[1] != size:
                raise ValueError(f"grads: block {name!r} has {flat.shape[1]} values, not {size}")
            if out is None:
                out = torch.zeros(flat.shape[0], self.dim, dtype=torch.float32, device=flat.device)
            for index, start in enumerate(range(0, size, TILE_ROWS)):
                tile = self._tile(name, index, min(TILE_ROWS, size - start))
                out.addmm_(flat[:, start : start + tile.shape[0]], tile.to(flat.device))
        assert out is not None  # shapes is never empty
        return out.mul_(1.0 / math.sqrt(self.dim))

    def _tile(self, name: str, index: int, rows: int) -> torch.Tensor:
        cached = self._cache.get((name, index))
        if cached is not None:
            return cached
        digest = hashlib.sha256(f"{self.seed}\0{name}\0{index}".encode()).digest()
        generator = torch.Generator(device="cpu")
        generator.manual_seed(int.from_bytes(digest[:8], "big") & ((1 << 63) - 1))
        # Drawn in float64: CPU float32 normals take a vectorised path on AVX2 machines and a
        # scalar one elsewhere, which differ in the last bits; float64 normals do not.
        tile = torch.randn(rows, self.dim, generator=generator, dtype=torch.float64).to(
            torch.float32
        )
        size = rows * self.dim * _FLOAT32_BYTES
        if self._cached_bytes + size <= self._cache_bytes:
            self._cache[(name, index)] = tile
            self._cached_bytes += size
        return tile
