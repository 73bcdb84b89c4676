"""Public numeric datasets (MATH, SciBench): the hub or a local copy, pinned test ids, the reference snippet.

Both are asked as numeric problems (±5%) with one tool, ``run_python``. The
frozen test split of each is the paper's subset, pinned by stable ids in a
text file beside the task; the data itself is never committed: real runs read
the Hugging Face hub (``datasets.load_dataset``), tests and offline runs a local
copy (``../shared/data/<name>`` beside the repository, or a folder named by
metadata or ``TOOLWISE_<NAME>_DATA``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import datasets

from toolwise.bench.answers import parse_number
from toolwise.bench.problem import Problem, ToolCall

TOOL = "run_python"
TOLERANCE = 0.05
# Where CI and developers keep the offline copies: ../shared/data/<name> beside the repository.
SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def text_digest(text: str, length: int = 10) -> str:
    """A short hash of whitespace-normalised text: the same problem gets the same id from any copy."""
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()[:length]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-")


def reference_call(answer_text: str, label: str) -> ToolCall:
    """The oracle's call: a snippet that prints the key (it exercises the sandbox, it does not solve)."""
    value = parse_number(answer_text)
    if value is None:
        raise ValueError(f"{label}: answer {answer_text!r} is not a number")
    code = f"# {label}: the reference answer\nanswer = {value!r}\nprint(answer)\n"
    return ToolCall(TOOL, {"code": code})


def key_from_tool_results(problem: Problem, results: list[Any]) -> float:
    """The number the last replayed snippet printed last."""
    if not results:
        raise ValueError(f"problem {problem.id}: no tool results to read a key from")
    lines = [line for line in str(results[-1]).splitlines() if line.strip()]
    value = parse_number(lines[-1]) if lines else None
    if value is None:
        raise ValueError(f"problem {problem.id}: the snippet printed no number: {results[-1]!r}")
    return value


def has_reasoning(worked: str | None) -> bool:
    """True when a source's solution explains something: not just the answer ("$4.16 \\times 10^{42}$")."""
    prose = re.findall(r"(?<![\\A-Za-z])[A-Za-z]{2,}", worked or "")  # words, not LaTeX commands
    return len(prose) >= 2


def worked_solution(worked: str | None, answer_text: str, unit: str | None = None) -> str:
    """A training target: the source's worked solution, then the answer; empty when the source has none.

    An empty solution makes training ask the teacher for one (or drop the problem, counted): a target that
    only states the answer, or narrates running code, teaches no knowledge.
    """
    if not has_reasoning(worked):
        return ""
    assert worked is not None
    in_unit = f", in {unit}," if unit else ""
    return f"{worked.strip()}\n\nSo{in_unit} the answer is {answer_text}"


def normalised(text: str) -> str:
    """Whitespace folded: the form in which two copies of a problem text are compared."""
    return " ".join(text.split())


def read_pinned_ids(path: Path) -> list[str]:
    """Ids one per line; '#' starts a comment."""
    ids = [line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [i for i in ids if i]


def select_pinned(pool: Iterable[Problem], pinned: list[str], what: str) -> list[Problem]:
    """The pinned problems in pinned order; a clear error naming the ids a source lacks."""
    by_id = {p.id: p for p in pool}
    missing = [i for i in pinned if i not in by_id]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise ValueError(f"{what}: {len(missing)} of {len(pinned)} pinned test problems are not in the source: {shown}")
    return [by_id[i] for i in pinned]


def split_problems(
    pool: list[Problem], test: list[Problem], n: int, seed: int, split: str, domain: str
) -> list[Problem]:
    """``test``: the first ``n`` pinned problems. ``train``: ``n`` others drawn with ``seed``, never a test question."""
    if split == "test":
        if n > len(test):
            raise ValueError(f"{domain} has {len(test)} pinned test problems; asked for {n}")
        return test[:n]
    if split != "train":
        raise ValueError(f"unknown split {split!r}; expected 'train' or 'test'")
    test_ids = {p.id for p in test}
    test_texts = {normalised(p.question) for p in test}
    candidates = [p for p in pool if p.id not in test_ids and normalised(p.question) not in test_texts]
    if n > len(candidates):
        raise ValueError(f"{domain} has {len(candidates)} training problems; asked for {n}")
    return random.Random(f"{domain}-train-{seed}").sample(candidates, n)


def split_generator(data: ModuleType) -> Callable[..., list[Problem]]:
    """The ``generate_problems`` of a dataset module (``DOMAIN``, ``load_pool``, ``test_problems``)."""

    def generate_problems(n: int, seed: int, split: str = "train", data_dir: str | None = None) -> list[Problem]:
        """``test``: the first ``n`` pinned problems (seed unused). ``train``: ``n`` non-test problems drawn with ``seed``."""
        pool = data.load_pool(data_dir)
        return split_problems(pool, data.test_problems(pool), n, seed, split, data.DOMAIN)

    return generate_problems


def resolve_local_dir(explicit: str | os.PathLike[str] | None, env_var: str, name: str) -> Path | None:
    """A local copy to read: the explicit path, else ``$env_var``, else ../shared/data/<name> if present."""
    for candidate in (explicit, os.environ.get(env_var)):
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_dir():
                raise FileNotFoundError(f"{name} data folder not found: {path}")
            return path
    return None


def load_with_fallback(
    name: str,
    local: Path | None,
    read_local: Callable[[Path], list[Problem]],
    read_hub: Callable[[], list[Problem]],
) -> list[Problem]:
    """The pool from ``local`` when given, else the hub, else the shared offline copy; say what failed."""
    if local is not None:
        return read_local(local)
    try:
        return read_hub()
    except Exception as hub_error:  # offline, gated, or the hub copy moved: fall back to a local copy
        fallback = SHARED_DATA / name
        if fallback.is_dir():
            return read_local(fallback.resolve())
        raise RuntimeError(
            f"could not load {name}: the hub failed ({type(hub_error).__name__}: {hub_error}) and no local copy "
            f"was given (metadata '{name}_data' or the environment variable TOOLWISE_{name.upper()}_DATA)"
        ) from hub_error


def load_pool(
    name: str,
    data_dir: str | os.PathLike[str] | None,
    read_local: Callable[[Path], list[Problem]],
    read_hub: Callable[[], list[Problem]],
) -> list[Problem]:
    """Every problem of dataset ``name``: ``data_dir``, else ``$TOOLWISE_<NAME>_DATA``, else the hub, else the
    shared offline copy."""
    local = resolve_local_dir(data_dir, f"TOOLWISE_{name.upper()}_DATA", name)
    return load_with_fallback(name, local, read_local, read_hub)


def pin_from_paper(
    rows: Iterable[Mapping[str, Any]],
    text_field: str,
    pool: Iterable[Problem],
    mismatch: Callable[[Problem, Mapping[str, Any]], str | None],
) -> list[str]:
    """Ids of the paper's test problems, in its order, matched to the pool by text; ``mismatch`` says what
    differs between a match and the paper's row (answer, unit), or None."""
    by_text = {normalised(p.question): p for p in pool}
    ids = []
    for row in rows:
        match = by_text.get(normalised(row[text_field]))
        if match is None:
            raise ValueError(f"paper test problem not in the pool: {row[text_field][:80]!r}")
        problem = mismatch(match, row)
        if problem is not None:
            raise ValueError(f"{match.id}: {problem}")
        ids.append(match.id)
    if len(set(ids)) != len(ids):
        raise ValueError("the paper's test file names a problem twice")
    return ids


def write_pinned_ids(path: Path, ids: list[str], header: str) -> None:
    path.write_text(header + "\n".join(ids) + "\n", encoding="utf-8")


def read_paper_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a paper's test file (a JSON list)."""
    return json.loads(path.read_text(encoding="utf-8"))


def pin_main(
    argv: list[str] | None,
    doc: str | None,
    data: ModuleType,
    pin: Callable[[Path, list[Problem]], list[str]],
    header: str,
    layout: str,
) -> None:
    """A dataset generator's ``--pin-from`` command: rewrite ``data.PINNED_IDS`` from the paper's test file.

    ``header`` heads the id file (``{source}`` is the paper file's name); ``layout`` names a local copy's files.
    """
    label = data.LABEL
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help=f"local {label} folder ({layout}); default: the hub, then ../shared/data")
    parser.add_argument("--pin-from", type=Path, required=True, help="the paper's test file; rewrites test_ids.txt")
    args = parser.parse_args(argv)
    ids = pin(args.pin_from, data.read_local(Path(args.data or args.pin_from.parent)))
    write_pinned_ids(data.PINNED_IDS, ids, header.format(source=args.pin_from.name))
    print(f"pinned {len(ids)} {label} test problems in {data.PINNED_IDS}")


def hub_rows(dataset: str, configs: Iterable[str | None], splits: Iterable[str]) -> Iterable[tuple[Any, Mapping]]:
    """(config, row) for every row of the named hub dataset's configs and splits."""
    for config in configs:
        for split in splits:
            for row in datasets.load_dataset(dataset, config, split=split):
                yield config, row
