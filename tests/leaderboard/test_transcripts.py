"""The transcript pages the HTML leaderboard links to: one per model x task with samples."""

from __future__ import annotations

from pathlib import Path

from lb_results import outcomes, write_run

from toolwise.leaderboard import build_leaderboard, load_runs, save_html, to_html, transcript_link, transcript_pages


def test_every_model_task_cell_links_to_its_problems(tmp_path: Path) -> None:
    root = tmp_path / "results"
    write_run(root, {"backend": "oracle"}, {"pde_tool": outcomes("p", "110 011"), "math_tool": outcomes("m", "111")})
    write_run(root, {"backend": "hf", "pretrained": "org/odd<b>"}, {"pde_tool": outcomes("p", "000 111")})
    board = build_leaderboard(load_runs([root]), n_boot=50)
    pages = transcript_pages(board)
    assert sorted(pages) == sorted(
        transcript_link(m, t) for m, t in [("oracle", "pde_tool"), ("oracle", "math_tool"), ("org/odd<b>", "pde_tool")]
    )
    page = pages[transcript_link("oracle", "pde_tool")]
    assert "question p-0000" in page and 'id="p-0001"' in page and "EN" in page and "HT" in page
    assert "odd&lt;b&gt;" in pages[transcript_link("org/odd<b>", "pde_tool")]
    assert "transcripts/" not in to_html(board, plots=False)  # links only when the pages are written beside it
    written = save_html(board, tmp_path / "site" / "leaderboard.html", plots=False)
    html = written[0].read_text()
    assert all(f'href="{link}"' in html for link in pages) and all(p.exists() for p in written)
    assert '<table id="task-pde_tool"' in html and '<table id="leaderboard"' in html
