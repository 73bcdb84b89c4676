"""WKD + TUA fine-tuning on trl: teach a model what the tools know, and when to call them.

``toolwise train --base ... --task pde_tool --out ckpt/`` runs the pipeline;
in Python::

    from toolwise.training import Pipeline, build_config
    Pipeline(build_config("my.yaml", {"out": "ckpt"})).run()
"""

from typing import Any

from toolwise.training.config import CollectConfig, SFTStageConfig, TrainConfig, TUAConfig, WKDConfig, build_config


def __getattr__(name: str) -> Any:
    # The pipeline pulls in torch and trl (seconds); `toolwise --help` and config handling must not wait for them.
    if name in ("Pipeline", "StageError"):
        from toolwise.training import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'toolwise.training' has no attribute {name!r}")


__all__ = [
    "CollectConfig",
    "Pipeline",
    "SFTStageConfig",
    "StageError",
    "TUAConfig",
    "TrainConfig",
    "WKDConfig",
    "build_config",
]
