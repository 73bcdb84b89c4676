"""Map the repository root onto the ``toolwise`` import package.

The top-level folders (tools/, tasks/, bench/, training/, leaderboard/) are
subpackages of ``toolwise``; a new domain folder is picked up with no edit here.
The ``toolwise.pth`` start-up hook is put into site-packages for wheels and
editable installs alike (see bench/lmeval_hooks.py).
"""

from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

ROOT = Path(__file__).parent
SUBPACKAGES = ["tools", "tasks", "bench", "training", "leaderboard"]
PTH_NAME = "toolwise.pth"
PTH_LINE = "import toolwise.bench._autoload\n"


class BuildPyWithPth(build_py):
    def find_package_modules(self, package, package_dir):  # type: ignore[no-untyped-def]
        # The root is the package, so this very file would ship as toolwise.setup.
        modules = super().find_package_modules(package, package_dir)
        return [m for m in modules if not (package == "toolwise" and m[1] == "setup")]

    def run(self) -> None:
        super().run()
        Path(self.build_lib, PTH_NAME).write_text(PTH_LINE)


class EditableWheelWithPth(editable_wheel):
    def _select_strategy(self, name, tag, build_lib):  # type: ignore[no-untyped-def]
        strategy = super()._select_strategy(name, tag, build_lib)
        original = strategy.__call__

        def with_pth(wheel, files, mapping):  # type: ignore[no-untyped-def]
            original(wheel, files, mapping)
            wheel.writestr(PTH_NAME, PTH_LINE)

        return _CallWrapper(strategy, with_pth)


class _CallWrapper:
    """Strategy objects are called, then used as context managers."""

    def __init__(self, strategy, call):  # type: ignore[no-untyped-def]
        self._strategy = strategy
        self._call = call

    def __call__(self, wheel, files, mapping):  # type: ignore[no-untyped-def]
        self._call(wheel, files, mapping)

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self._strategy.__enter__()

    def __exit__(self, *exc):  # type: ignore[no-untyped-def]
        return self._strategy.__exit__(*exc)


def package_data(subpackage: str) -> list[str]:
    """Every non-Python file under a subpackage folder, whatever its name (task templates, data, licences).

    A list of globs silently drops a file it did not foresee (tasks/_default_tool_template_yaml has no
    extension); walking the folder cannot. The sdist carries the same files (MANIFEST.in grafts the folders),
    so a wheel built from it gets them too.
    """
    folder = ROOT / subpackage
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and not _skipped(path.relative_to(folder))
    )


def _skipped(relative: Path) -> bool:
    return relative.suffix in {".py", ".pyc", ".pyo"} or any(
        part == "__pycache__" or part.startswith(".") or part.endswith(".egg-info") for part in relative.parts
    )


packages = ["toolwise"] + [
    f"toolwise.{name}"
    for name in find_packages(where=str(ROOT), include=[*SUBPACKAGES, *(f"{sub}.*" for sub in SUBPACKAGES)])
]

setup(
    packages=packages,
    package_dir={"toolwise": "."},
    package_data={f"toolwise.{sub}": package_data(sub) for sub in SUBPACKAGES},
    include_package_data=False,
    cmdclass={"build_py": BuildPyWithPth, "editable_wheel": EditableWheelWithPth},
)
