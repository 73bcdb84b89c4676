"""WKD + TUA fine-tuning on trl: teach a model what the tools know, and when to call them.

``toolwise train --base ... --task pde_tool --out ckpt/`` runs the pipeline;
in Python::

    from toolwise.training import Pipeline, build_config
    Pipeline(build_config("my.yaml", {"out": "ckpt"})).run()
"""

from toolwise.training.config import CollectConfig, SFTStageConfig, TrainConfig, TUAConfig, WKDConfig, build_config
from toolwise.training.pipeline import Pipeline, StageError

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
