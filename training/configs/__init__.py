"""accelerate / DeepSpeed configuration files and the paper's recipe as a TrainConfig YAML.

``CONFIG_DIR`` is this folder: ``accelerate launch --config_file $CONFIG_DIR/accelerate_zero3.yaml ...``.
"""

from pathlib import Path

CONFIG_DIR = Path(__file__).parent
