"""The training loop: the same steps on N Ray Train workers (``train_loop_per_worker``) or in one
plain process (``run_local``), through a small ``World`` that hides which.

Steps are numbered globally: step ``g`` is step ``g % S`` of epoch ``g // S`` (``S`` steps an
epoch, see ``data.steps_per_epoch``) and consumes that epoch's micro-batches ``[j*A, (j+1)*A)``
on every rank (``A`` = gradient accumulation). Each epoch shuffles with a generator seeded by
(seed, epoch) and splits the order by rank as ``DistributedSampler`` does, and every step
reseeds torch from (seed, rank, step) before it runs, so a run resumed at step ``k`` repeats
exactly what an uninterrupted run would do after ``k``: nothing but the step is needed to skip
the batches already consumed.

Ray reports cost over a second each here, so the loop reports to Ray only with checkpoints
(every ``checkpoint_every_steps``, at epoch ends) and once at the end, with the outcome;
progress goes to the job's run channel in Redis instead, every few seconds, from rank 0.

Test hook: the environment variable ``OL_MODELFACTORY_TEST_CRASH_AT_STEP=k`` makes rank 0 of
the job's first attempt exit the process abruptly (``os._exit(1)``) after step ``k`` and its
checkpoint, so tests can watch Ray restart the worker group and resume. It is read here only.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from peft import PeftModel

from openledger_kit.store import open_store
from openledger_ml.lora import attach_lora, lora_config, save_adapter
from openledger_ml.models.loading import load_causal_lm, load_tokenizer
from openledger_ml.templates import IGNORE_INDEX, prompt_template
from openledger_modelfactory.domain.model import Precision
from openledger_modelfactory.training import events
from openledger_modelfactory.training.checkpoints import (
    TrainState,
    restore_checkpoint,
    save_checkpoint,
)
from openledger_modelfactory.training.data import (
    PreparedData,
    collate,
    steps_per_epoch,
    total_steps,
)
from openledger_modelfactory.training.events import (
    AttemptStarted,
    CheckpointSaved,
    ProgressReport,
    RunFailed,
    RunFinished,
    StoredFile,
)
from openledger_modelfactory.training.features import FEATURES_FILE, compute_features
from openledger_modelfactory.training.spec import RunSpec

CRASH_HOOK_ENV = "OL_MODELFACTORY_TEST_CRASH_AT_STEP"
ADAPTER_MODEL_FILE = "adapter_model.safetensors"
ADAPTER_CONFIG_FILE = "adapter_config.json"
SAFETENSORS_MEDIA_TYPE = "application/octet-stream"
JSON_MEDIA_TYPE = "application/json"
OUTCOME_METRIC = "outcome"
"""The final Ray report's metric: the encoded ``RunFinished`` or ``RunFailed`` (rank 0's)."""


@dataclass(frozen=True)
class LoopConfig:
    """What each worker is told (Ray's ``train_loop_config``), as JSON-friendly values."""

    spec_json: str
    data_digest: str
    """The prepared data (``PreparedData`` safetensors) in the object store."""
    object_store_url: str
    redis_url: str | None
    storage_path: str
    """Ray Train's storage path: checkpoints are ``{storage_path}/{job_id}/{name}``."""
    progress_interval_seconds: float = 2.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> LoopConfig:
        return cls(**raw)


class World(Protocol):
    """The workers of one run, as the loop sees them."""

    rank: int
    size: int
    device: torch.device

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """The model as trained (DDP-wrapped across workers)."""
        ...

    def no_sync(self, model: torch.nn.Module) -> contextlib.AbstractContextManager[Any]:
        """Skip the gradient all-reduce (accumulation micro-batches but the last)."""
        ...

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor: ...

    def all_gather(self, tensor: torch.Tensor) -> list[torch.Tensor]:
        """Every rank's ``tensor`` (same shape on every rank), in rank order."""
        ...

    def resume_checkpoint(self) -> contextlib.AbstractContextManager[tuple[Path, str] | None]:
        """The local directory and URI of the checkpoint to resume from, if any."""
        ...

    def report(self, metrics: dict[str, Any], checkpoint: Path | None, name: str) -> str:
        """Report ``metrics`` (and rank 0's checkpoint directory, persisted as ``name``);
        every rank calls it the same number of times. Returns the checkpoint's URI on rank 0
        when one was given, else ""."""
        ...

    @property
    def ray_job_id(self) -> str: ...


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    inner = getattr(model, "module", None)
    return inner if isinstance(inner, torch.nn.Module) else model


class LocalWorld:
    """One plain process: rank 0 of 1, checkpoints copied under ``checkpoint_root``."""

    rank = 0
    size = 1
    ray_job_id = ""

    def __init__(self, checkpoint_root: Path, resume_from: Path | None = None) -> None:
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self._root = checkpoint_root
        self._resume_from = resume_from

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        return model.to(self.device)

    def no_sync(self, model: torch.nn.Module) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext()

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        return tensor

    def all_gather(self, tensor: torch.Tensor) -> list[torch.Tensor]:
        return [tensor]

    def resume_checkpoint(self) -> contextlib.AbstractContextManager[tuple[Path, str] | None]:
        found = self._resume_from
        return contextlib.nullcontext(None if found is None else (found, str(found)))

    def report(self, metrics: dict[str, Any], checkpoint: Path | None, name: str) -> str:
        if checkpoint is None:
            return ""
        target = self._root / name
        shutil.copytree(checkpoint, target, dirs_exist_ok=True)
        return str(target)


class RayWorld:
    """A Ray Train V2 worker (gloo on CPU, NCCL on GPU, set up by ``TorchTrainer``)."""

    def __init__(self, storage_path: str, resume_uri: str = "") -> None:
        import ray.train
        import ray.train.torch

        context = ray.train.get_context()
        self.rank = context.get_world_rank()
        self.size = context.get_world_size()
        self.device = ray.train.torch.get_device()
        self._experiment = context.get_experiment_name()
        self._storage_path = storage_path.rstrip("/")
        self._resume_uri = resume_uri

    @property
    def ray_job_id(self) -> str:
        import ray

        return str(ray.get_runtime_context().get_job_id())

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        import ray.train.torch

        return ray.train.torch.prepare_model(model)

    def no_sync(self, model: torch.nn.Module) -> contextlib.AbstractContextManager[Any]:
        if isinstance(model, torch.nn.parallel.DistributedDataParallel):
            return model.no_sync()
        return contextlib.nullcontext()

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        if self.size > 1:
            torch.distributed.all_reduce(tensor, op=torch.distributed.ReduceOp.SUM)
        return tensor

    def all_gather(self, tensor: torch.Tensor) -> list[torch.Tensor]:
        if self.size == 1:
            return [tensor]
        out = [torch.empty_like(tensor) for _ in range(self.size)]
        torch.distributed.all_gather(out, tensor.contiguous())
        return out

    @contextlib.contextmanager
    def resume_checkpoint(self) -> Iterator[tuple[Path, str] | None]:
        import ray.train

        checkpoint = ray.train.get_checkpoint()
        if checkpoint is None and self._resume_uri:
            # A relaunched driver whose Ray storage lost the run's own checkpoint index.
            checkpoint = ray.train.Checkpoint(self._resume_uri)
        if checkpoint is None:
            yield None
            return
        with checkpoint.as_directory() as directory:
            yield Path(directory), str(checkpoint.path)

    def report(self, metrics: dict[str, Any], checkpoint: Path | None, name: str) -> str:
        import ray.train

        if checkpoint is None:
            ray.train.report(metrics)
            return ""
        ray.train.report(
            metrics,
            checkpoint=ray.train.Checkpoint.from_directory(str(checkpoint)),
            checkpoint_dir_name=name,
        )
        return f"{self._storage_path}/{self._experiment}/{name}"


# ---------------------------------------------------------------------------------- pieces


def _seed_of(*parts: object) -> int:
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") & 0x7FFF_FFFF_FFFF_FFFF


def epoch_batches(
    train_rows: torch.Tensor, *, seed: int, epoch: int, rank: int, world_size: int, batch_size: int
) -> list[list[int]]:
    """This rank's batches (example rows) of an epoch: a seeded permutation padded by
    wrapping around to a multiple of the world size, then every ``world_size``-th row."""
    generator = torch.Generator().manual_seed(_seed_of("epoch", seed, epoch))
    order = train_rows[torch.randperm(train_rows.numel(), generator=generator)].tolist()
    padded = math.ceil(len(order) / world_size) * world_size
    order = (order * math.ceil(padded / len(order)))[:padded]
    mine = order[rank::world_size]
    return [mine[i : i + batch_size] for i in range(0, len(mine), batch_size)]


def token_loss_sum(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Summed next-token cross-entropy over the labelled positions, and their count."""
    shift_logits = logits[:, :-1, :].float()
    shift_labels = labels[:, 1:]
    total = F.cross_entropy(
        shift_logits.reshape(-1, shift_logits.size(-1)),
        shift_labels.reshape(-1),
        ignore_index=IGNORE_INDEX,
        reduction="sum",
    )
    return total, int((shift_labels != IGNORE_INDEX).sum())


def learning_rate(step: int, *, base: float, total: int, warmup_ratio: float) -> float:
    """Linear warm-up over ``ceil(warmup_ratio * total)`` steps, then linear decay to 0."""
    warmup = math.ceil(warmup_ratio * total)
    if step < warmup:
        return base * (step + 1) / warmup
    return base * max(0.0, (total - step) / max(1, total - warmup))


def _autocast(precision: Precision, device: torch.device) -> contextlib.AbstractContextManager[Any]:
    # Mixed precision only on a GPU; on the CPU training runs in FP32.
    if device.type != "cuda" or precision == Precision.FP32:
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == Precision.BF16 else torch.float16
    return torch.autocast(device_type="cuda", dtype=dtype)


def evaluate(model: torch.nn.Module, data: PreparedData, world: World, *, batch_size: int) -> float:
    """Mean token cross-entropy over the eval split (each rank its share); 0.0 without one."""
    rows = data.eval_rows[world.rank :: world.size].tolist()
    totals = torch.zeros(2, dtype=torch.float64)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for i in range(0, len(rows), batch_size):
            input_ids, labels, mask = collate(data, rows[i : i + batch_size], world.device)
            logits = model(input_ids=input_ids, attention_mask=mask).logits
            loss, count = token_loss_sum(logits, labels)
            totals += torch.tensor([float(loss), float(count)], dtype=torch.float64)
    model.train(was_training)
    world.all_reduce_sum(totals)
    return float(totals[0] / totals[1]) if totals[1] > 0 else 0.0


# ---------------------------------------------------------------------------------- the run


Publish = Callable[[events.RunEvent], object]


@dataclass(frozen=True)
class LoopInputs:
    spec: RunSpec
    data: PreparedData
    work_dir: Path
    """Local scratch of this worker."""
    object_store_url: str
    publish: Publish | None = None
    """Rank 0's run channel (None: nothing is published)."""
    attempt: int = 1
    progress_interval_seconds: float = 2.0


def train(inputs: LoopInputs, world: World) -> RunFinished | RunFailed | None:
    """Train, evaluate, compute features and store the artifacts. Returns the outcome on rank 0
    (None elsewhere); every rank returns after the same number of reports."""
    spec, data, config = inputs.spec, inputs.data, inputs.spec.config
    rank0 = world.rank == 0
    publish = inputs.publish if rank0 and inputs.publish is not None else None
    started = time.monotonic()

    base = load_causal_lm(
        spec.base_model_path, dtype=torch.float32, attn_implementation="eager", device=world.device
    )
    inner = attach_lora(
        base,
        lora_config(
            rank=config.lora.rank,
            alpha=config.lora.alpha,
            dropout=config.lora.dropout,
            target_modules=list(config.lora.target_modules),
        ),
        seed=config.seed,
    )
    trainable = [p for p in inner.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        trainable, lr=config.learning_rate, weight_decay=config.weight_decay
    )
    state = TrainState(step=0, epoch=0.0, loss=0.0, tokens_processed=0, seed=config.seed)
    resume_uri = ""
    with world.resume_checkpoint() as found:
        if found is not None:
            state = restore_checkpoint(found[0], inner, optimizer)
            resume_uri = found[1]
    model = world.wrap(inner)
    if publish is not None:
        publish(
            AttemptStarted(
                attempt=inputs.attempt,
                resumed_from_step=state.step if resume_uri else None,
                checkpoint_uri=resume_uri,
                ray_job_id=world.ray_job_id,
            )
        )

    per_epoch = steps_per_epoch(
        data.train_examples, config.batch_size, config.gradient_accumulation_steps, world.size
    )
    total = total_steps(
        data.train_examples,
        batch_size=config.batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        num_workers=world.size,
        epochs=config.epochs,
        max_steps=config.max_steps,
    )
    crash_at = int(os.environ.get(CRASH_HOOK_ENV, "0") or 0)
    scaler = (
        torch.amp.GradScaler("cuda")
        if world.device.type == "cuda" and config.precision == Precision.FP16
        else None
    )
    recent: deque[float] = deque(maxlen=per_epoch)
    window_loss, window_steps, window_tokens = 0.0, 0, 0
    window_start = last_publish = time.monotonic()
    train_seconds = 0.0
    tokens_processed = state.tokens_processed
    eval_loss, eval_step = 0.0, -1
    batches: list[list[int]] = []
    batches_epoch = -1
    lr = config.learning_rate

    model.train()
    step = state.step
    while step < total:
        step_started = time.monotonic()
        epoch, in_epoch = divmod(step, per_epoch)
        if epoch != batches_epoch:
            batches = epoch_batches(
                data.train_rows,
                seed=config.seed,
                epoch=epoch,
                rank=world.rank,
                world_size=world.size,
                batch_size=config.batch_size,
            )
            batches_epoch = epoch
        accumulation = config.gradient_accumulation_steps
        micro = batches[in_epoch * accumulation : (in_epoch + 1) * accumulation]
        torch.manual_seed(_seed_of("step", config.seed, world.rank, step))
        lr = learning_rate(
            step, base=config.learning_rate, total=total, warmup_ratio=config.warmup_ratio
        )
        for group in optimizer.param_groups:
            group["lr"] = lr
        totals = torch.zeros(3, dtype=torch.float64)  # loss sum, loss tokens, input tokens
        for k, rows in enumerate(micro):
            input_ids, labels, mask = collate(data, rows, world.device)
            syncing = k == len(micro) - 1
            with world.no_sync(model) if not syncing else contextlib.nullcontext():
                with _autocast(config.precision, world.device):
                    logits = model(input_ids=input_ids, attention_mask=mask).logits
                loss_sum, count = token_loss_sum(logits, labels)
                loss = loss_sum / max(count, 1) / len(micro)
                scaled: torch.Tensor = scaler.scale(loss) if scaler is not None else loss
                scaled.backward()  # type: ignore[no-untyped-call]
            totals += torch.tensor(
                [float(loss_sum.detach()), float(count), float(mask.sum())], dtype=torch.float64
            )
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        world.all_reduce_sum(totals)
        step_loss = float(totals[0] / totals[1]) if totals[1] > 0 else 0.0
        if not math.isfinite(step_loss):
            # Every rank saw the same all-reduced loss, so all of them stop here together.
            failed = RunFailed(
                reason=events.TRAINING_DIVERGED,
                message=f"the loss became {step_loss} at step {step + 1}",
                retryable=False,
            )
            diverged = TrainState(step, step / per_epoch, step_loss, tokens_processed, config.seed)
            return _final_report(
                world, inputs, inner, optimizer, diverged, failed if rank0 else None
            )
        step += 1
        step_tokens = int(totals[2])
        tokens_processed += step_tokens
        recent.append(step_loss)
        window_loss += step_loss
        window_steps += 1
        window_tokens += step_tokens
        train_seconds += time.monotonic() - step_started
        epoch_done = step % per_epoch == 0
        epoch_progress = step / per_epoch

        if epoch_done and data.eval_examples:
            eval_loss, eval_step = evaluate(inner, data, world, batch_size=config.batch_size), step
        if step < total and (epoch_done or step % config.checkpoint_every_steps == 0):
            state = TrainState(step, epoch_progress, step_loss, tokens_processed, config.seed)
            uri = _checkpoint(world, inputs.work_dir, inner, optimizer, state, inputs.attempt)
            if publish is not None:
                publish(CheckpointSaved(step=step, epoch=epoch_progress, loss=step_loss, uri=uri))
        now = time.monotonic()
        if publish is not None and (
            now - last_publish >= inputs.progress_interval_seconds or step == total
        ):
            elapsed = max(now - window_start, 1e-9)
            rate = window_tokens / elapsed
            publish(
                ProgressReport(
                    step=step,
                    total_steps=total,
                    epoch=epoch_progress,
                    loss=window_loss / window_steps,
                    learning_rate=lr,
                    tokens_per_second=rate,
                    tokens_processed=tokens_processed,
                    eta_seconds=(total - step) * elapsed / window_steps,
                    eval_loss=eval_loss if epoch_done and data.eval_examples else None,
                )
            )
            window_loss, window_steps, window_tokens = 0.0, 0, 0
            window_start = last_publish = now
        if crash_at and rank0 and inputs.attempt == 1 and step == crash_at:
            os._exit(1)

    if data.eval_examples and eval_step != step:
        eval_loss = evaluate(inner, data, world, batch_size=config.batch_size)
    train_loss = sum(recent) / len(recent) if recent else state.loss
    feature_started = time.monotonic()
    features = (
        compute_features(inner, data, world, spec, inputs.work_dir / FEATURES_FILE)
        if config.attribution.enabled
        else None
    )
    feature_seconds = time.monotonic() - feature_started

    final = TrainState(step, step / per_epoch, train_loss, tokens_processed, config.seed)
    outcome: RunFinished | RunFailed | None = None
    if rank0:
        try:
            outcome = _store_outputs(
                inputs,
                inner,
                features,
                train_loss=train_loss,
                eval_loss=eval_loss,
                steps=step,
                train_tokens=tokens_processed,
                train_seconds=train_seconds,
                feature_seconds=feature_seconds,
                total_seconds=time.monotonic() - started,
            )
        except OSError as exc:
            outcome = RunFailed(
                reason=events.STORAGE_ERROR, message=f"storing the artifacts failed: {exc}"
            )
    return _final_report(world, inputs, inner, optimizer, final, outcome)


def _final_report(
    world: World,
    inputs: LoopInputs,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    state: TrainState,
    outcome: RunFinished | RunFailed | None,
) -> RunFinished | RunFailed | None:
    """The last report, on every rank. It carries a checkpoint because Ray Train keeps only the
    metrics of checkpointed reports as the result's metrics, where the driver reads the
    outcome."""
    directory = inputs.work_dir / f"final-{inputs.attempt}"
    if world.rank == 0:
        save_checkpoint(directory, model, optimizer, state)
    metrics: dict[str, Any] = {"step": state.step, "loss": state.loss}
    if outcome is not None:
        metrics[OUTCOME_METRIC] = events.encode(outcome)
    world.report(
        metrics,
        directory if world.rank == 0 else None,
        f"checkpoint_{state.step:08d}_final_a{inputs.attempt}",
    )
    return outcome


def _checkpoint(
    world: World,
    work_dir: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    state: TrainState,
    attempt: int,
) -> str:
    # Rank 0's copy is complete: LoRA weights and optimizer state are identical on all ranks.
    name = f"checkpoint_{state.step:08d}_a{attempt}"
    directory = work_dir / name
    if world.rank == 0:
        save_checkpoint(directory, model, optimizer, state)
    uri = world.report(
        {"step": state.step, "epoch": state.epoch, "loss": state.loss},
        directory if world.rank == 0 else None,
        name,
    )
    shutil.rmtree(directory, ignore_errors=True)
    return uri


def _store_outputs(
    inputs: LoopInputs,
    model: PeftModel,
    features: Path | None,
    *,
    train_loss: float,
    eval_loss: float,
    steps: int,
    train_tokens: int,
    train_seconds: float,
    feature_seconds: float,
    total_seconds: float,
) -> RunFinished:
    out_dir = inputs.work_dir / "adapter"
    saved = save_adapter(model, out_dir)
    store = open_store(inputs.object_store_url)
    files = {
        ADAPTER_MODEL_FILE: (Path(saved.model_file), SAFETENSORS_MEDIA_TYPE),
        ADAPTER_CONFIG_FILE: (Path(saved.config_file), JSON_MEDIA_TYPE),
    }
    if features is not None:
        files[FEATURES_FILE] = (features, SAFETENSORS_MEDIA_TYPE)
    stored = {}
    for name, (path, media_type) in files.items():
        digest = store.put_file(path)
        stored[name] = StoredFile(
            sha256=digest.hexdigest, size_bytes=path.stat().st_size, media_type=media_type
        )
    spec = inputs.spec
    extra = {
        "train_seconds": train_seconds,
        "feature_seconds": feature_seconds,
        "total_seconds": total_seconds,
        "tokens_per_second": train_tokens / train_seconds if train_seconds > 0 else 0.0,
        "skipped_examples": float(inputs.data.skipped_examples),
        "truncated_examples": float(inputs.data.truncated_examples),
    }
    return RunFinished(
        files=stored,
        train_loss=train_loss,
        eval_loss=eval_loss,
        train_examples=inputs.data.train_examples,
        eval_examples=inputs.data.eval_examples,
        train_tokens=train_tokens,
        steps=steps,
        train_duration_seconds=train_seconds,
        trainable_parameters=saved.trainable_parameters,
        prompt_template=prompt_template(
            spec.config.task_template, load_tokenizer(spec.base_model_path)
        ),
        extra_metrics=extra,
    )


# ---------------------------------------------------------------------------------- entries


def train_loop_per_worker(raw_config: dict[str, Any]) -> None:
    """Ray Train's ``train_loop_per_worker``: fetch the prepared data, then ``train``."""
    from openledger_modelfactory.adapters.run_channel import RunChannel

    config = LoopConfig.from_dict(raw_config)
    spec = RunSpec.from_json(config.spec_json)
    world = RayWorld(config.storage_path, spec.resume_checkpoint_uri)
    with tempfile.TemporaryDirectory(prefix=f"ol-train-{spec.job_id}-") as scratch:
        work_dir = Path(scratch)
        data_file = work_dir / "data.safetensors"
        with open_store(config.object_store_url).open(config.data_digest) as reader:
            with data_file.open("wb") as out:
                shutil.copyfileobj(reader, out)
        data = PreparedData.load(data_file)
        channel = RunChannel(config.redis_url) if world.rank == 0 and config.redis_url else None
        try:
            attempt = (
                channel.next_attempt(spec.job_id, spec.first_attempt)
                if channel is not None
                else spec.first_attempt
            )
            train(
                LoopInputs(
                    spec=spec,
                    data=data,
                    work_dir=work_dir,
                    object_store_url=config.object_store_url,
                    publish=(lambda event: channel.publish(spec.job_id, event))
                    if channel is not None
                    else None,
                    attempt=attempt,
                    progress_interval_seconds=config.progress_interval_seconds,
                ),
                world,
            )
        finally:
            if channel is not None:
                channel.close()


def run_local(
    spec: RunSpec,
    data: PreparedData,
    *,
    work_dir: Path,
    object_store_url: str,
    resume_from: Path | None = None,
    publish: Publish | None = None,
    progress_interval_seconds: float = 2.0,
) -> RunFinished | RunFailed:
    """The same run in this process, without Ray. Checkpoints go to
    ``work_dir/checkpoints/<name>``; ``resume_from`` is a checkpoint directory to start from."""
    checkpoints = work_dir / "checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    outcome = train(
        LoopInputs(
            spec=spec,
            data=data,
            work_dir=work_dir,
            object_store_url=object_store_url,
            publish=publish,
            attempt=spec.first_attempt,
            progress_interval_seconds=progress_interval_seconds,
        ),
        LocalWorld(checkpoints, resume_from),
    )
    assert outcome is not None  # rank 0 always has one
    return outcome


def outcome_of(metrics: dict[str, Any] | None) -> RunFinished | RunFailed | None:
    """The run's outcome from the metrics of Ray's last (checkpointed) report."""
    text = (metrics or {}).get(OUTCOME_METRIC)
    if not isinstance(text, str):
        return None
    event = events.decode(text)
    return event if isinstance(event, RunFinished | RunFailed) else None


__all__ = [
    "LocalWorld",
    "LoopConfig",
    "LoopInputs",
    "RayWorld",
    "World",
    "outcome_of",
    "run_local",
    "train",
    "train_loop_per_worker",
]
