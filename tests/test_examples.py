"""Every example runs end to end in its quick mode."""

import subprocess
import sys

import pytest

from brickwork.examples import EXAMPLES

NEEDS = {"digits": "sklearn", "sunspots": "statsmodels"}  # data sets shipped by these packages


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_runs_quickly(name, tmp_path):
    if name in NEEDS:
        pytest.importorskip(NEEDS[name])
    done = subprocess.run([sys.executable, "-m", "brickwork.examples", name, "--quick"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_help_lists_the_examples():
    done = subprocess.run([sys.executable, "-m", "brickwork.examples", "--help"], capture_output=True, text=True)
    assert all(name in done.stdout for name in EXAMPLES)
