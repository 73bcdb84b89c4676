"""What a user installs from an index holds every file a task needs: build the sdist and the wheel from it.

``python -m build`` makes the wheel out of the unpacked sdist, so a file missing from either shows here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE_FOLDERS = ("tools", "tasks", "bench", "training", "leaderboard")


def tracked_files() -> list[str]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    out = subprocess.run(
        ["git", "ls-files", "--", *PACKAGE_FOLDERS], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    # a file deleted in the working tree but not yet in the index is not something to ship
    return [line for line in out.splitlines() if (REPO / line).is_file()]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[set[str], set[str]]:
    pytest.importorskip("build")
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [wheel] = out.glob("toolwise-*.whl")
    [sdist] = out.glob("toolwise-*.tar.gz")
    wheel_names = set(zipfile.ZipFile(wheel).namelist())
    with tarfile.open(sdist) as archive:
        # "toolwise-0.1.0/tasks/pde/pde_tool.yaml" -> "tasks/pde/pde_tool.yaml"
        sdist_names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    return wheel_names, sdist_names


def test_every_tracked_data_file_of_the_package_folders_is_in_the_wheel(built: tuple[set[str], set[str]]) -> None:
    wheel, _ = built
    data = [path for path in tracked_files() if not path.endswith(".py")]
    assert "tasks/_default_tool_template_yaml" in data and "tasks/pde/data/README.md" in data
    missing = [path for path in data if f"toolwise/{path}" not in wheel]
    assert missing == []


def test_every_tracked_file_of_the_package_folders_is_in_the_sdist(built: tuple[set[str], set[str]]) -> None:
    _, sdist = built
    missing = [path for path in tracked_files() if path not in sdist]
    assert missing == []


def test_the_wheel_has_the_modules_and_the_lm_eval_hook_but_no_build_debris(built: tuple[set[str], set[str]]) -> None:
    wheel, _ = built
    modules = [path for path in tracked_files() if path.endswith(".py")]
    assert [path for path in modules if f"toolwise/{path}" not in wheel] == []
    assert "toolwise.pth" in wheel and "toolwise/__init__.py" in wheel
    assert "toolwise/setup.py" not in wheel and not any(name.startswith("toolwise/tests/") for name in wheel)
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in wheel)
