"""docs/training.md's settings tables are the ones the config dataclasses generate."""

from __future__ import annotations

from toolwise.training.config import DOCS, TUAConfig, WKDConfig, docs_with_settings, settings_markdown


def test_the_docs_tables_are_generated_from_the_config() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert docs_with_settings(text) == text, (
        "docs/training.md's settings tables differ from training/config.py: "
        "run `python -m toolwise.training.config --docs` to regenerate them"
    )


def test_each_setting_is_one_row_with_its_default_and_help() -> None:
    tables = settings_markdown()
    assert (
        f"| `k_samples` | `{TUAConfig().k_samples!r}` | {TUAConfig.__dataclass_fields__['k_samples'].metadata['help']} |"
        in tables
    )
    assert tables.count("| `use_lora` |") == 1  # shared by wkd and tua: only in the SFTStageConfig table
    assert f"| `n_proposals` | `{WKDConfig().n_proposals!r}` |" in tables
    assert "| `collect` |" not in tables  # a section is a table of its own, not a row
