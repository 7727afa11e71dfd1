"""Every gradient and property test of the scan, run once more on the fused tier.

The modules below run in a subprocess with ``BRICKWORK_FUSION=sync`` (see
``conftest.py``): every scan they compile runs its loop on generated numba
kernels, and their assertions (gradient checks in float64, agreement with the
time-unrolled graph, exact resume, models that learn) must hold there too. The
whole suite runs on the fused tier with ``BRICKWORK_FUSION=sync pytest``.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = ["test_recurrent.py", "test_scan.py", "test_loop.py", "test_attention.py",
           "test_sequence_generators.py", "test_parity_recurrent.py", "test_ops.py", "test_search.py",
           "test_blocks_generation.py", "test_resume.py", "test_models.py", "test_compile_and_grad.py"]


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="the fused tier needs numba")
@pytest.mark.skipif(os.environ.get("BRICKWORK_FUSION") == "sync", reason="the whole run is on the fused tier")
def test_gradient_and_property_tests_pass_on_the_fused_tier():
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
               "-k", "not hundred_thousand"] + [str(ROOT / "tests" / m) for m in MODULES]
    done = subprocess.run(command, cwd=ROOT, env=dict(os.environ, BRICKWORK_FUSION="sync"),
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    assert " passed" in done.stdout.splitlines()[-1]
