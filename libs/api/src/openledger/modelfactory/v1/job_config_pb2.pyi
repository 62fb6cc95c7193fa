from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TaskTemplate(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_TEMPLATE_UNSPECIFIED: _ClassVar[TaskTemplate]
    TASK_TEMPLATE_INSTRUCTION: _ClassVar[TaskTemplate]
    TASK_TEMPLATE_CHAT: _ClassVar[TaskTemplate]
    TASK_TEMPLATE_COMPLETION: _ClassVar[TaskTemplate]

class TrainingPrecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRAINING_PRECISION_UNSPECIFIED: _ClassVar[TrainingPrecision]
    TRAINING_PRECISION_FP32: _ClassVar[TrainingPrecision]
    TRAINING_PRECISION_BF16: _ClassVar[TrainingPrecision]
    TRAINING_PRECISION_FP16: _ClassVar[TrainingPrecision]
TASK_TEMPLATE_UNSPECIFIED: TaskTemplate
TASK_TEMPLATE_INSTRUCTION: TaskTemplate
TASK_TEMPLATE_CHAT: TaskTemplate
TASK_TEMPLATE_COMPLETION: TaskTemplate
TRAINING_PRECISION_UNSPECIFIED: TrainingPrecision
TRAINING_PRECISION_FP32: TrainingPrecision
TRAINING_PRECISION_BF16: TrainingPrecision
TRAINING_PRECISION_FP16: TrainingPrecision

class TrainingJobConfig(_message.Message):
    __slots__ = ("base_model", "snapshot", "adapter_id", "task_template", "field_mapping", "lora", "epochs", "max_steps", "learning_rate", "warmup_ratio", "weight_decay", "batch_size", "gradient_accumulation_steps", "max_seq_length", "seed", "eval_fraction", "num_workers", "cpus_per_worker", "gpus_per_worker", "precision", "checkpoint_every_steps", "max_failures", "fee_per_1k_tokens", "preset", "attribution")
    class FieldMappingEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    FIELD_MAPPING_FIELD_NUMBER: _ClassVar[int]
    LORA_FIELD_NUMBER: _ClassVar[int]
    EPOCHS_FIELD_NUMBER: _ClassVar[int]
    MAX_STEPS_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    WARMUP_RATIO_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_DECAY_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    GRADIENT_ACCUMULATION_STEPS_FIELD_NUMBER: _ClassVar[int]
    MAX_SEQ_LENGTH_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    EVAL_FRACTION_FIELD_NUMBER: _ClassVar[int]
    NUM_WORKERS_FIELD_NUMBER: _ClassVar[int]
    CPUS_PER_WORKER_FIELD_NUMBER: _ClassVar[int]
    GPUS_PER_WORKER_FIELD_NUMBER: _ClassVar[int]
    PRECISION_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_EVERY_STEPS_FIELD_NUMBER: _ClassVar[int]
    MAX_FAILURES_FIELD_NUMBER: _ClassVar[int]
    FEE_PER_1K_TOKENS_FIELD_NUMBER: _ClassVar[int]
    PRESET_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    base_model: str
    snapshot: str
    adapter_id: str
    task_template: TaskTemplate
    field_mapping: _containers.ScalarMap[str, str]
    lora: LoraConfig
    epochs: int
    max_steps: int
    learning_rate: float
    warmup_ratio: float
    weight_decay: float
    batch_size: int
    gradient_accumulation_steps: int
    max_seq_length: int
    seed: int
    eval_fraction: float
    num_workers: int
    cpus_per_worker: int
    gpus_per_worker: int
    precision: TrainingPrecision
    checkpoint_every_steps: int
    max_failures: int
    fee_per_1k_tokens: str
    preset: str
    attribution: AttributionFeatureConfig
    def __init__(self, base_model: _Optional[str] = ..., snapshot: _Optional[str] = ..., adapter_id: _Optional[str] = ..., task_template: _Optional[_Union[TaskTemplate, str]] = ..., field_mapping: _Optional[_Mapping[str, str]] = ..., lora: _Optional[_Union[LoraConfig, _Mapping]] = ..., epochs: _Optional[int] = ..., max_steps: _Optional[int] = ..., learning_rate: _Optional[float] = ..., warmup_ratio: _Optional[float] = ..., weight_decay: _Optional[float] = ..., batch_size: _Optional[int] = ..., gradient_accumulation_steps: _Optional[int] = ..., max_seq_length: _Optional[int] = ..., seed: _Optional[int] = ..., eval_fraction: _Optional[float] = ..., num_workers: _Optional[int] = ..., cpus_per_worker: _Optional[int] = ..., gpus_per_worker: _Optional[int] = ..., precision: _Optional[_Union[TrainingPrecision, str]] = ..., checkpoint_every_steps: _Optional[int] = ..., max_failures: _Optional[int] = ..., fee_per_1k_tokens: _Optional[str] = ..., preset: _Optional[str] = ..., attribution: _Optional[_Union[AttributionFeatureConfig, _Mapping]] = ...) -> None: ...

class LoraConfig(_message.Message):
    __slots__ = ("rank", "alpha", "dropout", "target_modules")
    RANK_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    DROPOUT_FIELD_NUMBER: _ClassVar[int]
    TARGET_MODULES_FIELD_NUMBER: _ClassVar[int]
    rank: int
    alpha: float
    dropout: float
    target_modules: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, rank: _Optional[int] = ..., alpha: _Optional[float] = ..., dropout: _Optional[float] = ..., target_modules: _Optional[_Iterable[str]] = ...) -> None: ...

class AttributionFeatureConfig(_message.Message):
    __slots__ = ("enabled", "projection_dim", "projection_seed")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    PROJECTION_DIM_FIELD_NUMBER: _ClassVar[int]
    PROJECTION_SEED_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    projection_dim: int
    projection_seed: int
    def __init__(self, enabled: _Optional[bool] = ..., projection_dim: _Optional[int] = ..., projection_seed: _Optional[int] = ...) -> None: ...

class JobConfigPreset(_message.Message):
    __slots__ = ("name", "description", "config", "memory_estimates")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    MEMORY_ESTIMATES_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    config: TrainingJobConfig
    memory_estimates: _containers.RepeatedCompositeFieldContainer[MemoryEstimate]
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., config: _Optional[_Union[TrainingJobConfig, _Mapping]] = ..., memory_estimates: _Optional[_Iterable[_Union[MemoryEstimate, _Mapping]]] = ...) -> None: ...

class MemoryEstimate(_message.Message):
    __slots__ = ("base_model", "trainable_parameters", "weights_bytes", "trainable_state_bytes", "activation_bytes", "attribution_bytes", "total_bytes", "on_gpu", "assumptions")
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    TRAINABLE_PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_BYTES_FIELD_NUMBER: _ClassVar[int]
    TRAINABLE_STATE_BYTES_FIELD_NUMBER: _ClassVar[int]
    ACTIVATION_BYTES_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTION_BYTES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    ON_GPU_FIELD_NUMBER: _ClassVar[int]
    ASSUMPTIONS_FIELD_NUMBER: _ClassVar[int]
    base_model: str
    trainable_parameters: int
    weights_bytes: int
    trainable_state_bytes: int
    activation_bytes: int
    attribution_bytes: int
    total_bytes: int
    on_gpu: bool
    assumptions: str
    def __init__(self, base_model: _Optional[str] = ..., trainable_parameters: _Optional[int] = ..., weights_bytes: _Optional[int] = ..., trainable_state_bytes: _Optional[int] = ..., activation_bytes: _Optional[int] = ..., attribution_bytes: _Optional[int] = ..., total_bytes: _Optional[int] = ..., on_gpu: _Optional[bool] = ..., assumptions: _Optional[str] = ...) -> None: ...
