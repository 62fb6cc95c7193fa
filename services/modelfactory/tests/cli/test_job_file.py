"""The CLI's job files: YAML in the published schema's form, checked before anything is sent."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from openledger.modelfactory.v1 import job_config_pb2
from openledger_modelfactory.cli import load_job_file
from openledger_modelfactory.domain.schema import job_config_schema

JOB = """\
display_name: Medical Q&A
base_model: baseModels/smollm2-135m-instruct
snapshot: datanets/medical-qa/snapshots/v1
adapter_id: medical-qa
task_template: TASK_TEMPLATE_INSTRUCTION
field_mapping: {instruction: /question, output: /answer}
preset: cpu-tiny
epochs: 3
lora: {rank: 8, target_modules: [q_proj, v_proj]}
fee_per_1k_tokens: "1000000000000000"
"""


def test_a_job_file_becomes_the_config_it_describes(tmp_path: Path) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(JOB)

    display_name, config = load_job_file(path, job_config_schema())

    assert display_name == "Medical Q&A"
    assert config.task_template == job_config_pb2.TASK_TEMPLATE_INSTRUCTION
    assert dict(config.field_mapping) == {"instruction": "/question", "output": "/answer"}
    assert config.epochs == 3 and config.HasField("epochs")
    assert not config.HasField("batch_size")  # unset stays unset: the preset fills it
    assert config.lora.rank == 8 and list(config.lora.target_modules) == ["q_proj", "v_proj"]
    assert config.fee_per_1k_tokens == "1000000000000000"


@pytest.mark.parametrize(
    ("change", "to", "reported"),
    [
        ("epochs: 3", "epochs: 0", "job.yaml: epochs:"),
        ("lora: {rank: 8,", "lora: {rank: 8, alhpa: 2,", "job.yaml: lora:"),
        ("TASK_TEMPLATE_INSTRUCTION", "INSTRUCTION", "job.yaml: task_template:"),
    ],
)
def test_a_bad_job_file_is_refused_with_the_path_of_the_problem(
    tmp_path: Path, change: str, to: str, reported: str
) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(JOB.replace(change, to))

    with pytest.raises(typer.BadParameter) as refused:
        load_job_file(path, job_config_schema())

    assert reported in str(refused.value)
