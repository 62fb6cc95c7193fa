"""Turning a snapshot's records into training examples, and handing them to the workers.

``prepare`` runs once in the driver: it applies the task template through the job's field
mapping, tokenizes, drops what cannot train, and splits train from eval by a hash of the record
id (so the split does not depend on record order or on the worker count). The result is one
safetensors file (flat token ids with offsets, no pickle) that every Ray worker loads.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from openledger_ml.templates import IGNORE_INDEX, SlotError, extract_slots, tokenize_example
from openledger_modelfactory.domain.model import ResolvedJobConfig
from openledger_modelfactory.domain.ports import SnapshotRecordData
from openledger_modelfactory.training.events import NO_USABLE_EXAMPLES, RunError


@dataclass(frozen=True)
class PreparedData:
    """Every usable example in snapshot order, as flat arrays.

    Example ``i`` is ``tokens[offsets[i]:offsets[i + 1]]`` with ``labels`` over the same span
    (``IGNORE_INDEX`` where no loss is taken) and came from snapshot record
    ``snapshot_indexes[i]``. ``train_rows`` and ``eval_rows`` are example numbers, ascending.
    """

    tokens: torch.Tensor  # int32 [total_tokens]
    labels: torch.Tensor  # int32 [total_tokens]
    offsets: torch.Tensor  # int64 [examples + 1]
    snapshot_indexes: torch.Tensor  # int64 [examples]
    train_rows: torch.Tensor  # int64 [train_examples]
    eval_rows: torch.Tensor  # int64 [eval_examples]
    skipped_examples: int
    truncated_examples: int

    @property
    def train_examples(self) -> int:
        return int(self.train_rows.numel())

    @property
    def eval_examples(self) -> int:
        return int(self.eval_rows.numel())

    def example(self, row: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids and labels of example ``row`` (int64, ready for the model)."""
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        return self.tokens[start:end].long(), self.labels[start:end].long()

    def save(self, path: Path) -> None:
        tensors = {
            "tokens": self.tokens,
            "labels": self.labels,
            "offsets": self.offsets,
            "snapshot_indexes": self.snapshot_indexes,
            "train_rows": self.train_rows,
            "eval_rows": self.eval_rows,
        }
        metadata = {
            "skipped_examples": str(self.skipped_examples),
            "truncated_examples": str(self.truncated_examples),
        }
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(path), metadata=metadata)

    @classmethod
    def load(cls, path: Path) -> PreparedData:
        with safe_open(str(path), framework="pt") as handle:
            metadata: dict[str, str] = handle.metadata() or {}
        tensors = load_file(str(path))
        return cls(
            tokens=tensors["tokens"],
            labels=tensors["labels"],
            offsets=tensors["offsets"],
            snapshot_indexes=tensors["snapshot_indexes"],
            train_rows=tensors["train_rows"],
            eval_rows=tensors["eval_rows"],
            skipped_examples=int(metadata["skipped_examples"]),
            truncated_examples=int(metadata["truncated_examples"]),
        )


def is_eval(seed: int, record_id: str, eval_fraction: float) -> bool:
    """Whether a record belongs to the eval split: a uniform draw from sha256(seed, id)."""
    digest = hashlib.sha256(f"{seed}:{record_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64 < eval_fraction


def prepare(
    records: Iterable[SnapshotRecordData], config: ResolvedJobConfig, tokenizer: Any
) -> PreparedData:
    """Template, tokenize and split ``records`` (in snapshot order).

    A record whose slots cannot be filled from its content is skipped; one cut by
    ``max_seq_length`` is counted as truncated, and skipped as well when nothing of its loss
    span survives. Raises ``RunError(NO_USABLE_EXAMPLES)`` when no training example is left.
    """
    tokens: list[torch.Tensor] = []
    labels: list[torch.Tensor] = []
    indexes: list[int] = []
    train_rows: list[int] = []
    eval_rows: list[int] = []
    skipped = truncated = 0
    for record in records:
        try:
            slots = extract_slots(config.task_template, record.content, config.field_mapping)
            # A chat the template cannot split turn by turn is unusable too, not a failed job.
            example = tokenize_example(
                config.task_template, slots, tokenizer, config.max_seq_length
            )
        except SlotError:
            skipped += 1
            continue
        if example.truncated:
            truncated += 1
        if example.loss_tokens == 0:
            skipped += 1
            continue
        row = len(indexes)
        tokens.append(torch.tensor(example.input_ids, dtype=torch.int32))
        labels.append(torch.tensor(example.labels, dtype=torch.int32))
        indexes.append(record.index)
        if is_eval(config.seed, record.record_id, config.eval_fraction):
            eval_rows.append(row)
        else:
            train_rows.append(row)
    if not train_rows:
        raise RunError(
            NO_USABLE_EXAMPLES,
            f"no training example left: {len(indexes)} usable ({len(eval_rows)} held out for "
            f"eval), {skipped} skipped, {truncated} truncated",
        )
    lengths = torch.tensor([0] + [len(t) for t in tokens], dtype=torch.int64)
    return PreparedData(
        tokens=torch.cat(tokens),
        labels=torch.cat(labels),
        offsets=torch.cumsum(lengths, 0),
        snapshot_indexes=torch.tensor(indexes, dtype=torch.int64),
        train_rows=torch.tensor(train_rows, dtype=torch.int64),
        eval_rows=torch.tensor(eval_rows, dtype=torch.int64),
        skipped_examples=skipped,
        truncated_examples=truncated,
    )


def steps_per_epoch(
    train_examples: int, batch_size: int, gradient_accumulation_steps: int, num_workers: int
) -> int:
    """Optimizer steps in one epoch: each worker gets ``ceil(n / workers)`` examples (the
    shards are padded to equal size, as ``DistributedSampler`` does), in batches, and an epoch's
    last incomplete accumulation still makes a step."""
    per_worker = math.ceil(train_examples / num_workers)
    batches = math.ceil(per_worker / batch_size)
    return math.ceil(batches / gradient_accumulation_steps)


def total_steps(
    train_examples: int,
    *,
    batch_size: int,
    gradient_accumulation_steps: int,
    num_workers: int,
    epochs: int,
    max_steps: int,
) -> int:
    """Optimizer steps of the whole run; ``max_steps`` > 0 caps it."""
    steps = epochs * steps_per_epoch(
        train_examples, batch_size, gradient_accumulation_steps, num_workers
    )
    return min(steps, max_steps) if max_steps > 0 else steps


def collate(
    data: PreparedData, rows: Sequence[int], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right-padded ``input_ids``, ``labels`` (``IGNORE_INDEX`` on padding) and
    ``attention_mask`` of the examples ``rows``. Examples are already cut to
    ``max_seq_length``, so the batch is at most that long."""
    pairs = [data.example(row) for row in rows]
    width = max(len(ids) for ids, _ in pairs)
    input_ids = torch.zeros((len(pairs), width), dtype=torch.long)
    labels = torch.full((len(pairs), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(pairs), width), dtype=torch.long)
    for i, (ids, lab) in enumerate(pairs):
        input_ids[i, : len(ids)] = ids
        labels[i, : len(lab)] = lab
        mask[i, : len(ids)] = 1
    return input_ids.to(device), labels.to(device), mask.to(device)
