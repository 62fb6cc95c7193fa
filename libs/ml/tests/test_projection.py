from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from openledger_ml.projection import TILE_ROWS, Projector

# Two blocks, one spanning several tiles, as LoRA A and B matrices of one module.
SHAPES = [("layer.lora_A.weight", 2 * TILE_ROWS + 100), ("layer.lora_B.weight", 48)]
DIM = 32
SEED = 11


def _grads(batch: int = 3) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return {
        "layer.lora_A.weight": torch.randn(
            batch, 4, (2 * TILE_ROWS + 100) // 4, generator=generator
        ),
        "layer.lora_B.weight": torch.randn(batch, 12, 4, generator=generator),
    }


def test_two_instances_project_identically() -> None:
    grads = _grads()
    first = Projector(SHAPES, DIM, SEED).project(grads)
    second = Projector(SHAPES, DIM, SEED).project(grads)
    assert first.dtype == torch.float32 and first.shape == (3, DIM)
    assert torch.equal(first, second)
    assert not torch.equal(first, Projector(SHAPES, DIM, SEED + 1).project(grads))


@pytest.mark.parametrize("cache_bytes", [0, TILE_ROWS * DIM * 4, 1 << 30])
def test_cache_does_not_change_the_projection(cache_bytes: int) -> None:
    grads = _grads()
    expected = Projector(SHAPES, DIM, SEED).project(grads)
    projector = Projector(SHAPES, DIM, SEED, cache_bytes=cache_bytes)
    assert torch.equal(projector.project(grads), expected)
    assert torch.equal(projector.project(grads), expected)  # again, from whatever it cached


def test_projection_is_the_same_in_another_process() -> None:
    script = (
        "import sys, torch\n"
        "from openledger_ml.projection import Projector\n"
        "g = torch.Generator().manual_seed(5)\n"
        "x = {'a': torch.randn(2, 3000, generator=g), 'b': torch.randn(2, 7, 9, generator=g)}\n"
        "out = Projector([('a', 3000), ('b', 63)], 16, 3).project(x)\n"
        "sys.stdout.write(out.numpy().tobytes().hex())\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    generator = torch.Generator().manual_seed(5)
    grads = {
        "a": torch.randn(2, 3000, generator=generator),
        "b": torch.randn(2, 7, 9, generator=generator),
    }
    here = Projector([("a", 3000), ("b", 63)], 16, 3).project(grads)
    assert here.numpy().tobytes().hex() == other


def test_the_matrix_is_pinned() -> None:
    # Rows of R / sqrt(dim) for seed 7: features stored today must stay comparable with
    # features computed after an upgrade, so a change in how R is drawn must fail here.
    rows = Projector([("w", 3)], 4, 7).project({"w": torch.eye(3)})
    assert rows.tolist() == [
        [-0.43002206087112427, 0.4394846558570862, 1.5585479736328125, -0.04549531638622284],
        [-1.076820731163025, 0.35018831491470337, -0.04493530094623566, -0.2941105365753174],
        [0.541669487953186, -0.607248067855835, 0.8860175013542175, 0.21155110001564026],
    ]


def test_blocks_are_drawn_by_name_not_position() -> None:
    grads = _grads()
    alone = Projector(SHAPES[1:], DIM, SEED).project(
        {"layer.lora_B.weight": grads["layer.lora_B.weight"]}
    )
    zero_a = {**grads, "layer.lora_A.weight": torch.zeros_like(grads["layer.lora_A.weight"])}
    torch.testing.assert_close(Projector(SHAPES, DIM, SEED).project(zero_a), alone)


def test_projection_preserves_norms_on_average() -> None:
    # Johnson-Lindenstrauss: E|Rx / sqrt(dim)|^2 = |x|^2 for a standard Gaussian R.
    size, dim = 3000, 1024
    x = torch.randn(8, size, generator=torch.Generator().manual_seed(1))
    projected = Projector([("x", size)], dim, 0).project({"x": x})
    ratios = projected.norm(dim=1) / x.norm(dim=1)
    assert ratios.min() > 0.9 and ratios.max() < 1.1


def test_tiles_are_independent() -> None:
    # Rows of different tiles (and the rows within one) are different draws.
    eye = torch.eye(2 * TILE_ROWS)
    rows = Projector([("x", 2 * TILE_ROWS)], 8, 0).project({"x": eye})
    assert not torch.equal(rows[:TILE_ROWS], rows[TILE_ROWS:])
    assert torch.unique(rows, dim=0).shape[0] == 2 * TILE_ROWS


def test_bad_inputs_are_refused() -> None:
    projector = Projector([("a", 4)], 2, 0)
    with pytest.raises(ValueError, match="missing"):
        projector.project({})
    with pytest.raises(ValueError, match="not in the projection"):
        projector.project({"a": torch.zeros(1, 4), "b": torch.zeros(1, 1)})
    with pytest.raises(ValueError, match="5 values, not 4"):
        projector.project({"a": torch.zeros(1, 5)})
    with pytest.raises(ValueError, match="unique"):
        Projector([("a", 1), ("a", 2)], 2, 0)
    with pytest.raises(ValueError, match="dim"):
        Projector([("a", 1)], 0, 0)
