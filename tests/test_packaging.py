"""Packaging: a light import, type information shipped."""

import os
import subprocess
import sys

import brickwork


def test_import_leaves_networkx_and_matplotlib_unloaded():
    code = "import sys, brickwork; print(sorted({'networkx', 'matplotlib', 'tqdm'} & set(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(brickwork.__file__))}
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert loaded.stdout.strip() == "[]"


def test_the_package_is_typed():
    assert os.path.exists(os.path.join(os.path.dirname(brickwork.__file__), "py.typed"))
