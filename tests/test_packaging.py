"""Packaging: a light import, type information shipped."""

import os
import subprocess
import sys

import brickwork


def test_import_leaves_networkx_and_matplotlib_unloaded():
    # the compiler and the scan load on first use of brickwork.function / tensor.scan
    heavy = "{'networkx', 'matplotlib', 'tqdm', 'brickwork.graph', 'brickwork.scan'}"
    code = f"import sys, brickwork; print(sorted({heavy} & set(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(brickwork.__file__))}
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert loaded.stdout.strip() == "[]"


def test_the_package_is_typed():
    assert os.path.exists(os.path.join(os.path.dirname(brickwork.__file__), "py.typed"))


def test_the_lazy_names_load_on_first_use():
    from brickwork import function, grad, tensor
    assert callable(function) and callable(grad)
    assert tensor.scan.__module__.startswith("brickwork.scan") and "scan" in tensor.__all__
