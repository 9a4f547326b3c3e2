"""Wheel builds carry the built-in domains, the general suite and the dashboard app inside the package
(harness/_data/), so an installed (non-editable) harness finds them from any folder (harness/paths.py,
harness/dashboard.py). Everything else about the build is in pyproject.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
DATA = ("domains", "suites", "dashboards")  # dashboards: `harness dashboard` from a wheel


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads <repo>/domains and <repo>/suites directly
        target = Path(self.build_lib) / "harness" / "_data"
        shutil.rmtree(target, ignore_errors=True)  # an in-tree build/ must not keep files deleted since
        for name in DATA:
            if (ROOT / name).is_dir():
                shutil.copytree(ROOT / name, target / name, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


setup(cmdclass={"build_py": BuildPyWithData})
