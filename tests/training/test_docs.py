"""docs/training.md documents every setting, with the default the code has."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from toolwise.training.config import CollectConfig, EvalConfig, SFTStageConfig, TrainConfig, TUAConfig, WKDConfig

DOC = Path(__file__).resolve().parents[2] / "docs" / "training.md"


@pytest.mark.parametrize("cls", [TrainConfig, CollectConfig, SFTStageConfig, WKDConfig, TUAConfig, EvalConfig])
def test_every_field_is_in_the_docs_with_its_default(cls: type) -> None:
    text = DOC.read_text(encoding="utf-8")
    for f in dataclasses.fields(cls):
        if f.name in ("collect", "wkd", "tua", "eval"):
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        assert f"| `{f.name}` | `{default!r}` |" in text, f"{cls.__name__}.{f.name} missing or stale in {DOC.name}"
