"""Differential test of the compiler: random graphs (see ``fuzz_graphs.py``) run by the
compiled ``function`` and by the reference evaluator, scans against their time-unrolled
graph, so the check trusts neither the rewrites, the in-place pass nor the scan runner.

Three properties, on two calls with different arguments: equal values, arguments
(and shared variables) never modified, and results of the first call unchanged by the
second. The counts are small for CI; for a soak, raise them::

    BRICKWORK_FUZZ_EXAMPLES=5000 BRICKWORK_FUZZ_SCAN_EXAMPLES=500 BRICKWORK_FUZZ_FUSED_EXAMPLES=500 \
        pytest tests/test_fuzz_compiler.py

Scans run once more on the fused tier (``config.fusion = 'sync'``, where numba is
installed): their elementwise regions as generated kernels, held to the same reference.

(``BRICKWORK_FUZZ_SEED`` moves the range of seeds, to try graphs not tried before.)
"""

import importlib.util
import os

import numpy as np
import pytest
from fuzz_graphs import Case, plain_case, scan_case

from brickwork import config, function
from brickwork.graph import ComputationGraph, evaluate

PLAIN_EXAMPLES = int(os.environ.get("BRICKWORK_FUZZ_EXAMPLES", "300"))
SCAN_EXAMPLES = int(os.environ.get("BRICKWORK_FUZZ_SCAN_EXAMPLES", "40"))
FUSED_EXAMPLES = int(os.environ.get("BRICKWORK_FUZZ_FUSED_EXAMPLES", "20"))  # numba compiles ~0.3 s a kernel
FIRST_SEED = int(os.environ.get("BRICKWORK_FUZZ_SEED", "0"))
# float64 throughout; the compiler may reorder sums and products (hoisting, regrouping,
# one matmul for a stack of rows), which changes rounding by a few ulps per op over a few
# dozen ops, while a wrong buffer gives errors of the size of the values themselves
RTOL, ATOL = 1e-8, 1e-8


def problems(case: Case) -> list[str]:
    """What goes wrong when ``case`` is compiled and called on each of its argument sets."""
    compiled = function(case.inputs, case.outputs)
    reference = case.outputs if case.n_steps is None else ComputationGraph(case.outputs).unroll(case.n_steps).outputs
    shared_before = [v.get_value() for v in case.shared]
    found, earlier = [], []
    for call, args in enumerate(case.calls):
        given = [a.copy() for a in args]
        results = compiled(*args)
        expected = evaluate(reference, dict(zip(case.inputs, given)))
        found += _mismatches(call, results, expected)
        found += [f"call {call}: argument {i} was modified" for i, (a, g) in enumerate(zip(args, given))
                  if not np.array_equal(a, g)]
        found += [f"call {call}: result {k} of call {c} changed" for c, k, value, copy in earlier
                  if not np.array_equal(value, copy)]
        earlier += [(call, k, value, value.copy()) for k, value in enumerate(results)]
    found += [f"shared variable {v.name} changed" for v, before in zip(case.shared, shared_before)
              if not np.array_equal(v.get_value(), before)]
    return found


def _mismatches(call: int, results: list, expected: list) -> list[str]:
    found = []
    for k, (got, want) in enumerate(zip(results, expected)):
        scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
        if np.shape(got) != np.shape(want) or not np.allclose(got, want, rtol=RTOL, atol=ATOL * scale):
            found.append(f"call {call}: output {k} is\n{got}\nbut the reference gives\n{want}")
    return found


def finite(case: Case) -> bool:
    """Whether the reference values are finite (graphs that overflow say nothing)."""
    reference = case.outputs if case.n_steps is None else ComputationGraph(case.outputs).unroll(case.n_steps).outputs
    return all(np.all(np.isfinite(v)) for v in evaluate(reference, dict(zip(case.inputs, case.calls[0]))))


def run(make, seeds) -> tuple[int, list[str]]:
    """Check the case of every seed; returns how many ran and a report of each failure."""
    ran, failures = 0, []
    for seed in seeds:
        case = make(seed)
        if not finite(case):
            continue
        ran += 1
        try:
            found = problems(case)
        except Exception as error:  # a compiler that fails on a valid graph is a finding too
            found = [f"raised {type(error).__name__}: {str(error)[:2000]}"]
        if found:
            failures.append(f"seed {seed}:\n  " + "\n  ".join(case.text) + "\n" + "\n".join(found[:3]))
    return ran, failures


@pytest.mark.parametrize("make, count, fusion", [
    (plain_case, PLAIN_EXAMPLES, "off"), (scan_case, SCAN_EXAMPLES, "off"),
    pytest.param(scan_case, FUSED_EXAMPLES, "sync", marks=pytest.mark.skipif(
        importlib.util.find_spec("numba") is None, reason="the fused tier needs numba"))],
    ids=["plain", "scan", "scan_fused"])
def test_compiled_graphs_agree_with_the_reference(make, count, fusion, monkeypatch):
    monkeypatch.setattr(config, "fusion", fusion)
    ran, failures = run(make, range(FIRST_SEED, FIRST_SEED + count))
    assert ran >= count * 0.8, f"only {ran} of {count} random graphs had finite values"
    assert not failures, f"{len(failures)} of {ran} graphs differ:\n\n" + "\n\n".join(failures[:3])
