"""The static page: self-contained, and checked in a real headless Chromium (rows, sorting, visible plots).

Chromium comes from Debian's ``chromium`` package; the interactive test drives it with the ``playwright``
Python package pointed at that binary (Playwright's own browser download is not used). Each test skips with
its reason where its tool is absent. Screenshots go to $TOOLWISE_ARTIFACTS/leaderboard (or the test's tmp dir).
"""

from __future__ import annotations

import html.parser
import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lb_results import outcomes, write_run

from toolwise.leaderboard import build_leaderboard, load_runs, to_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (Debian package 'chromium'; .ci/run installs it)"
)
needs_playwright = pytest.mark.skipif(
    importlib.util.find_spec("playwright") is None,
    reason="the playwright Python package is not installed (pip install playwright; it drives Debian's chromium)",
)


@pytest.fixture
def page_file(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    math = [*outcomes("m1", "111 011 110 000", "Level 1"), *outcomes("m2", "011 011 100", "Level 2")]
    write_run(root, {"backend": "oracle"}, {"pde_tool": outcomes("p", "110 011 011 000 011"), "math_tool": math})
    write_run(root, {"backend": "always"}, {"pde_tool": outcomes("p", "111 011 011 001 011"), "math_tool": math})
    write_run(root, {"backend": "never"}, {"pde_tool": outcomes("p", "110 000 000 000 000"), "math_tool": math})
    write_run(root, {"backend": "hf", "pretrained": "org/odd<b>&x"}, {"pde_tool": outcomes("p", "111 100 000")})
    board = build_leaderboard(load_runs([root]), baseline="never")
    path = tmp_path / "leaderboard.html"
    path.write_text(to_html(board), encoding="utf-8")
    return path


class _Collector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.references += [value or "" for name, value in attrs if name in ("src", "href")]


def test_page_is_self_contained_and_escapes_names(page_file: Path) -> None:
    text = page_file.read_text()
    collector = _Collector()
    collector.feed(text)
    assert collector.references and all(ref.startswith("data:image/png;base64,") for ref in collector.references)
    assert "link" not in collector.tags and "iframe" not in collector.tags
    assert not re.search(r"<script[^>]+src=", text)
    assert "org/odd&lt;b&gt;&amp;x" in text and "odd<b>" not in text
    assert collector.tags.count("img") == 4  # accuracy, tool-use accuracy, breakdown, tool rate by level


def model_order(page, table: str = "#leaderboard") -> list[str]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all(f"{table} tbody tr", "rows => rows.map(r => r.dataset.model)")


@needs_chromium
@needs_playwright
def test_page_in_headless_chromium(page_file: Path, artifacts_dir: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS[1:])  # playwright adds headless
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(page_file.as_uri())
            # rows: one per model, ranked by the overall score; the 1-task model has none and comes last
            assert model_order(page) == ["oracle", "always", "never", "org/odd<b>&x"]
            headers = page.eval_on_selector_all("#leaderboard thead tr:last-child th", "hs => hs.map(h => h.innerText)")
            assert headers == ["Model", "Overall", "math", "pde"]  # headline: one figure per model x task

            # sorting: the "tool rate" column of pde's own table (Model, score, no tool, tools, TUA, tool rate)
            pde = "#task-pde_tool"
            button = f"{pde} thead tr:last-child th:nth-child(6) button"
            page.click(button)  # first click: descending
            assert model_order(page, pde) == ["always", "oracle", "org/odd<b>&x", "never"]
            assert page.get_attribute(f"{pde} thead tr:last-child th:nth-child(6)", "aria-sort") == "descending"
            page.click(button)  # second click: ascending
            assert model_order(page, pde) == ["never", "org/odd<b>&x", "oracle", "always"]
            page.click("#leaderboard thead tr:last-child th:nth-child(2) button")  # overall; missing stays last
            assert model_order(page)[-1] == "org/odd<b>&x"

            # plots decoded and laid out with a visible size
            images = page.eval_on_selector_all(
                "img", "is => is.map(i => [i.complete, i.naturalWidth, i.getBoundingClientRect().height])"
            )
            assert len(images) == 4 and all(done and width > 300 and height > 100 for done, width, height in images)
            assert page.is_visible("#baseline") and page.locator("table.levels").count() == 1
            assert errors == []
            shot = artifacts_dir / "leaderboard_page.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000


@needs_chromium
def test_page_renders_with_the_chromium_command_line(page_file: Path, artifacts_dir: Path, tmp_path: Path) -> None:
    """Without playwright: Chromium's own --dump-dom (after scripts ran) and --screenshot."""
    common = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [*common, "--dump-dom", page_file.as_uri()], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    rows = re.findall(r'<tr data-model="([^"]+)"', dom.split('id="task-')[0])
    assert rows == ["oracle", "always", "never", "org/odd&lt;b&gt;&amp;x"]
    shot = artifacts_dir / "leaderboard_page_cli.png"
    subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1400,1600", page_file.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.read_bytes().startswith(b"\x89PNG")
