"""The shipped DeepSpeed and accelerate configs (training/configs/) load, and a misspelled key is caught.

Three checks, from always to where DeepSpeed is installed:

- every key is one DeepSpeed documents (https://www.deepspeed.ai/docs/config-json/), with a value of the
  documented kind; ``"auto"`` only where transformers' DeepSpeed integration fills it in;
- accelerate's own loaders read ``accelerate_zero3.yaml`` (unknown keys are an error there) and its
  ``DeepSpeedPlugin`` reads the JSON it names;
- with ``deepspeed`` importable: the configs, "auto" filled by transformers as the Trainer does, pass
  ``DeepSpeedConfig`` (whose ZeRO section forbids unknown keys), and the top-level keys are among the installed
  DeepSpeed's key names (it ignores unknown top-level keys silently).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from toolwise.training.configs import CONFIG_DIR

DS_CONFIGS = sorted(CONFIG_DIR.glob("ds_*.json"))

# Keys of https://www.deepspeed.ai/docs/config-json/ (sections this project may use), with the kind of value.
TOP_LEVEL = {
    "train_batch_size": int,
    "train_micro_batch_size_per_gpu": int,
    "gradient_accumulation_steps": int,
    "gradient_clipping": float,
    "steps_per_print": int,
    "wall_clock_breakdown": bool,
    "prescale_gradients": bool,
    "gradient_predivide_factor": float,
    "communication_data_type": str,
    "zero_allow_untested_optimizer": bool,
    "zero_force_ds_cpu_optimizer": bool,
    "dump_state": bool,
    "bf16": dict,
    "fp16": dict,
    "zero_optimization": dict,
    "optimizer": dict,
    "scheduler": dict,
    "activation_checkpointing": dict,
    "flops_profiler": dict,
}
ZERO = {
    "stage": int,
    "allgather_partitions": bool,
    "allgather_bucket_size": int,
    "overlap_comm": bool,
    "reduce_scatter": bool,
    "reduce_bucket_size": int,
    "contiguous_gradients": bool,
    "load_from_fp32_weights": bool,
    "round_robin_gradients": bool,
    "offload_param": dict,
    "offload_optimizer": dict,
    "stage3_max_live_parameters": int,
    "stage3_max_reuse_distance": int,
    "stage3_prefetch_bucket_size": int,
    "stage3_param_persistence_threshold": int,
    "stage3_gather_16bit_weights_on_model_save": bool,
    "sub_group_size": int,
    "elastic_checkpoint": bool,
    "ignore_unused_parameters": bool,
    "zero_hpz_partition_size": int,
    "zero_quantized_weights": bool,
    "zero_quantized_gradients": bool,
}
OFFLOAD_PARAM = {"device": str, "nvme_path": str, "pin_memory": bool, "buffer_count": int, "buffer_size": int}
OFFLOAD_PARAM |= {"max_in_cpu": int}
OFFLOAD_OPTIMIZER = {"device": str, "nvme_path": str, "pin_memory": bool, "ratio": float, "buffer_count": int}
OFFLOAD_OPTIMIZER |= {"fast_init": bool}
PRECISION = {"enabled": bool, "immediate_grad_update": bool}
SECTIONS = {
    "": TOP_LEVEL,
    "zero_optimization.": ZERO,
    "zero_optimization.offload_param.": OFFLOAD_PARAM,
    "zero_optimization.offload_optimizer.": OFFLOAD_OPTIMIZER,
    "bf16.": PRECISION,
}
# What transformers' HfTrainerDeepSpeedConfig fills in from the TrainingArguments and the model.
AUTO = {"train_batch_size", "train_micro_batch_size_per_gpu", "gradient_accumulation_steps", "gradient_clipping"}
AUTO |= {"bf16.enabled", "fp16.enabled", "zero_optimization.reduce_bucket_size"}
AUTO |= {"zero_optimization.stage3_prefetch_bucket_size", "zero_optimization.stage3_param_persistence_threshold"}
CHOICES = {"zero_optimization.stage": {0, 1, 2, 3}, "communication_data_type": {"fp16", "bf16", "fp32"}}
CHOICES |= {
    f"zero_optimization.{part}.device": {"cpu", "nvme", "none"} for part in ("offload_param", "offload_optimizer")
}


def documented_key_errors(config: dict[str, Any], prefix: str = "") -> list[str]:
    """What in ``config`` DeepSpeed's documentation does not name, or names with another kind of value."""
    known = SECTIONS.get(prefix)
    if known is None:  # a section whose inside is not checked here (optimizer params, profiler)
        return []
    errors = []
    for key, value in config.items():
        path = f"{prefix}{key}"
        kind = known.get(key)
        if kind is None:
            errors.append(f"unknown key {path!r}")
        elif value == "auto":
            if path not in AUTO:
                errors.append(f"{path!r} is 'auto', which transformers does not fill in")
        elif kind is dict:
            errors += documented_key_errors(value, f"{path}.") if isinstance(value, dict) else [f"{path!r}: a section"]
        elif kind is int and not (
            isinstance(value, (int, float)) and not isinstance(value, bool) and value == int(value)
        ):
            errors.append(f"{path!r}: expected an integer, got {value!r}")
        elif kind is float and (isinstance(value, bool) or not isinstance(value, (int, float))):
            errors.append(f"{path!r}: expected a number, got {value!r}")
        elif kind in (bool, str) and not isinstance(value, kind):
            errors.append(f"{path!r}: expected {kind.__name__}, got {value!r}")
        elif path in CHOICES and value not in CHOICES[path]:
            errors.append(f"{path!r}: {value!r} is not one of {sorted(map(str, CHOICES[path]))}")
    return errors


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def test_the_shipped_configs_are_the_zero3_pair() -> None:
    assert [p.name for p in DS_CONFIGS] == ["ds_zero3.json", "ds_zero3_offload.json"]
    plain, offload = (load(p) for p in DS_CONFIGS)
    assert plain["zero_optimization"]["stage"] == offload["zero_optimization"]["stage"] == 3
    assert offload["zero_optimization"]["offload_param"]["device"] == "cpu"
    # the rest is the same: offload is the only difference
    del offload["zero_optimization"]["offload_param"], offload["zero_optimization"]["offload_optimizer"]
    assert offload == plain


@pytest.mark.parametrize("path", DS_CONFIGS, ids=lambda p: p.name)
def test_every_key_is_documented_by_deepspeed(path: Path) -> None:
    assert documented_key_errors(load(path)) == []


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda c: c.update(train_batch_sise="auto"), "unknown key 'train_batch_sise'"),
        (lambda c: c["zero_optimization"].update(stage3_max_live_parameter=1e9), "'zero_optimization.stage3_max"),
        (lambda c: c["zero_optimization"]["offload_param"].update(pin_memroy=True), "offload_param.pin_memroy"),
        (lambda c: c["zero_optimization"].update(stage=4), "'zero_optimization.stage': 4 is not one of"),
        (lambda c: c["zero_optimization"].update(stage3_max_reuse_distance="auto"), "which transformers does not"),
        (lambda c: c.update(steps_per_print=1.5), "expected an integer"),
        (lambda c: c["bf16"].update(enabled="yes"), "expected bool"),
    ],
    ids=["top-level", "zero", "offload", "stage", "auto", "integer", "bool"],
)
def test_a_misspelled_or_mistyped_key_is_reported(change: Any, error: str) -> None:
    config = copy.deepcopy(load(CONFIG_DIR / "ds_zero3_offload.json"))
    change(config)
    errors = documented_key_errors(config)
    assert len(errors) == 1 and error in errors[0], errors


def test_accelerate_reads_its_config_and_the_deepspeed_file_it_names(tmp_path: Path) -> None:
    from accelerate.commands.config.config_args import load_config_from_file
    from accelerate.commands.launch import launch_command_parser
    from accelerate.utils import DeepSpeedPlugin, DistributedType

    yaml_file = CONFIG_DIR / "accelerate_zero3.yaml"
    config = load_config_from_file(str(yaml_file))  # raises on a key accelerate does not know
    assert config.distributed_type == DistributedType.DEEPSPEED and config.num_machines == 1
    # The deepspeed_config entries become `accelerate launch` options; a name launch lacks would be dropped.
    options = {action.dest for action in launch_command_parser()._actions}
    assert set(config.deepspeed_config) <= options, set(config.deepspeed_config) - options
    named = CONFIG_DIR / config.deepspeed_config["deepspeed_config_file"]  # relative: launched from CONFIG_DIR
    assert named.exists()
    plugin = DeepSpeedPlugin(hf_ds_config=str(named), zero3_init_flag=config.deepspeed_config["zero3_init_flag"])
    assert plugin.zero_stage == 3 and plugin.zero3_init_flag

    misspelled = yaml.safe_load(yaml_file.read_text()) | {"num_proceses": 2}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(misspelled))
    with pytest.raises(ValueError, match="num_proceses"):
        load_config_from_file(str(tmp_path / "bad.yaml"))


def filled_by_transformers(path: Path, tmp_path: Path) -> dict[str, Any]:
    """The config with every "auto" filled in as the Trainer does (batch 1 x 16 accumulation, a 64-wide model)."""
    import torch
    from transformers import LlamaConfig, TrainingArguments
    from transformers.integrations.deepspeed import HfTrainerDeepSpeedConfig

    args = TrainingArguments(
        output_dir=str(tmp_path), per_device_train_batch_size=1, gradient_accumulation_steps=16, use_cpu=True
    )
    model = torch.nn.Linear(2, 2)
    model.config = LlamaConfig(hidden_size=64)  # type: ignore[assignment]
    config = HfTrainerDeepSpeedConfig(str(path))
    config.trainer_config_process(args)
    config.trainer_config_finalize(args, model, num_training_steps=100)
    return config.config


@pytest.mark.parametrize("path", DS_CONFIGS, ids=lambda p: p.name)
def test_the_installed_deepspeed_accepts_the_configs(path: Path, tmp_path: Path) -> None:
    pytest.importorskip("deepspeed", reason="DeepSpeed is not installed (pip install deepspeed)")
    import deepspeed.runtime.constants as keys
    from deepspeed.runtime.config import DeepSpeedConfig
    from pydantic import ValidationError

    filled = filled_by_transformers(path, tmp_path)
    assert "auto" not in json.dumps(filled)
    config = DeepSpeedConfig(filled)
    assert config.zero_optimization_stage == 3 and config.train_batch_size == 16
    assert config.zero_config.gather_16bit_weights_on_model_save
    offload = config.zero_config.offload_param
    assert (offload is not None and offload.device == "cpu") == ("offload" in path.name)

    names = {v for k, v in vars(keys).items() if k.isupper() and isinstance(v, str) and not k.endswith("_DEFAULT")}
    assert set(load(path)) - names <= {"zero_optimization"}  # its constant lives with the ZeRO config
    assert set(TOP_LEVEL) - names <= {"zero_optimization", "activation_checkpointing", "flops_profiler"}
    misspelled = copy.deepcopy(filled)
    misspelled["zero_optimization"]["stage3_max_live_parameter"] = 10**9
    with pytest.raises(ValidationError, match="stage3_max_live_parameter"):
        DeepSpeedConfig(misspelled)


def test_the_documented_zero_keys_are_the_installed_deepspeeds(tmp_path: Path) -> None:
    pytest.importorskip("deepspeed", reason="DeepSpeed is not installed (pip install deepspeed)")
    from deepspeed.runtime.zero.config import DeepSpeedZeroConfig
    from deepspeed.runtime.zero.offload_config import (
        DeepSpeedZeroOffloadOptimizerConfig,
        DeepSpeedZeroOffloadParamConfig,
    )

    def names(model: Any) -> set[str]:
        return set(model.model_fields) | {f.alias for f in model.model_fields.values() if f.alias}

    assert set(ZERO) <= names(DeepSpeedZeroConfig), set(ZERO) - names(DeepSpeedZeroConfig)
    assert set(OFFLOAD_PARAM) <= names(DeepSpeedZeroOffloadParamConfig)
    assert set(OFFLOAD_OPTIMIZER) <= names(DeepSpeedZeroOffloadOptimizerConfig)
