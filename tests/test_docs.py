"""The README's code runs as written; the documentation reads offline and every page is reachable."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_the_readme_has_code_to_run():
    assert PYTHON_BLOCKS


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=[f"block{i}" for i in range(len(PYTHON_BLOCKS))])
def test_readme_code_blocks_run_as_written(block, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a block that writes files writes them here
    exec(compile(block, "README.md", "exec"), {"__name__": "readme"})


def test_pages_use_no_math_roles_so_nothing_loads_from_a_cdn():
    pages = {p.name: p.read_text() for p in (ROOT / "docs").glob("*.rst")}
    with_math = sorted(name for name, text in pages.items() if ":math:" in text or ".. math::" in text)
    assert not with_math, f"pages with math roles (write formulas in Unicode text): {with_math}"


def test_every_page_is_in_the_index():
    index = (ROOT / "docs" / "index.rst").read_text()
    listed = set(re.findall(r"^   (\w+)$", index, flags=re.M))
    pages = {p.stem for p in (ROOT / "docs").glob("*.rst")} - {"index"}
    assert pages <= listed, f"pages missing from the toctree of docs/index.rst: {sorted(pages - listed)}"


def test_the_site_builds_without_a_warning(tmp_path):
    # every docstring is rendered by autodoc: a markup slip there is a warning, and -W fails on it
    pytest.importorskip("sphinx")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    built = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(ROOT / "docs"),
                            str(tmp_path)], capture_output=True, text=True, env=env, timeout=600)
    assert built.returncode == 0, built.stderr
