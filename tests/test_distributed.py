"""Data-parallel training over MPI: ``mpiexec -n 2`` runs of ``tests/mpi_runs.py`` against one process.

Tolerance: the two-process run sums ``count * gradient`` over the processes
and divides by the summed count, where one process takes the mean over the
whole batch at once; in float64 the two differ by a few units in the last
place per update, and a short run (8 to 10 Adam updates) keeps them within
1e-12 (we measured differences near 4e-16). Both processes hold bit-for-bit
the same parameters (they apply the same mean gradient).
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import mpi_runs  # the run script next to this file (pytest puts tests/ on the path)
import numpy as np
import pytest

from brickwork.algorithms import Adam, GradientDescent
from brickwork.data import ArrayStream
from brickwork.extensions import FinishAfter, TrainingDataMonitoring
from brickwork.main_loop import MainLoop

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "mpi_runs.py"
MPIEXEC = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")
needs_mpiexec = pytest.mark.skipif(MPIEXEC is None or importlib.util.find_spec("mpi4py") is None,
                                   reason="no mpiexec or mpi4py (pip install -e '.[distributed]')")
TOLERANCE = dict(rtol=1e-12, atol=1e-12)


def launch(tmp_path, name, *options, ranks=2, check=True, **environment):
    """Run the script (under ``mpiexec -n ranks`` when ranks > 1); return each rank's results."""
    command = [sys.executable, str(SCRIPT), "--out", name, *options]
    if ranks > 1:
        command = [MPIEXEC, "-n", str(ranks)] + command + ["--distributed"]
    env = dict(os.environ, BRICKWORK_FLOATX="float64", PYTHONPATH=f"{ROOT}{os.pathsep}"
               + os.environ.get("PYTHONPATH", ""), OPENBLAS_NUM_THREADS="1", **environment)
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    if check and done.returncode:
        raise AssertionError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    if not check:
        return done
    return [dict(np.load(tmp_path / f"{name}_rank{r}.npz")) for r in range(ranks)]


def parameters(result):
    return [result[k] for k in sorted(result) if k.startswith("p")]


def assert_same_parameters(a, b, exact=False):
    for x, y in zip(parameters(a), parameters(b), strict=True):
        if exact:
            np.testing.assert_array_equal(x, y)
        else:
            np.testing.assert_allclose(x, y, **TOLERANCE)


@needs_mpiexec
def test_two_processes_equal_one_on_the_same_global_batches(tmp_path):
    one = launch(tmp_path, "one", "--updates", "8", ranks=1)[0]
    first, second = launch(tmp_path, "two", "--updates", "8")
    assert_same_parameters(first, second, exact=True)
    assert_same_parameters(one, first)
    np.testing.assert_allclose(first["costs"], one["costs"], **TOLERANCE)
    assert len(one["costs"]) == 8


@needs_mpiexec
def test_weighing_processes_by_examples_instead_of_real_steps_is_measurably_wrong(tmp_path):
    """The masks differ across the halves of each batch, so the test above could tell."""
    one = launch(tmp_path, "one", "--updates", "8", ranks=1)[0]
    wrong = launch(tmp_path, "wrong", "--updates", "8", "--weight-by-examples")[0]
    gap = max(np.abs(x - y).max() for x, y in zip(parameters(one), parameters(wrong)))
    assert gap > 1e-4


@needs_mpiexec
def test_model_train_distributed_equals_one_process_validation_included(tmp_path):
    one = launch(tmp_path, "one", "--classifier", "--updates", "10", ranks=1)[0]
    first, second = launch(tmp_path, "two", "--classifier", "--updates", "10")
    assert_same_parameters(first, second, exact=True)
    assert_same_parameters(one, first)
    assert one["valid"].shape == (4, 2)
    np.testing.assert_allclose(first["valid"], one["valid"], **TOLERANCE)


@needs_mpiexec
def test_resuming_from_the_rank_zero_checkpoint_equals_an_uninterrupted_run(tmp_path):
    """With dropout: each rank's own random stream is checkpointed and restored."""
    full = launch(tmp_path, "full", "--updates", "10", "--dropout", "0.3")
    launch(tmp_path, "part", "--updates", "4", "--dropout", "0.3", "--checkpoint", "run.npz")
    assert sorted(p.name for p in tmp_path.glob("*.npz") if "run" in p.name) == ["run.npz"]
    resumed = launch(tmp_path, "resumed", "--updates", "10", "--dropout", "0.3", "--checkpoint", "run.npz")
    for rank in (0, 1):
        assert_same_parameters(full[rank], resumed[rank], exact=True)
        np.testing.assert_array_equal(full[rank]["costs"], resumed[rank]["costs"])


@needs_mpiexec
def test_dropout_masks_differ_across_ranks(tmp_path):
    """Rank 1 does not replay rank 0's masks: two ranks with dropout differ from one process."""
    one = launch(tmp_path, "one", "--updates", "3", "--dropout", "0.3", ranks=1)[0]
    two = launch(tmp_path, "two", "--updates", "3", "--dropout", "0.3")[0]
    assert not np.allclose(one["costs"], two["costs"])


@needs_mpiexec
def test_a_stop_decided_on_rank_zero_stops_every_rank_in_the_same_update(tmp_path):
    results = launch(tmp_path, "stop", "--updates", "10", "--stop-on-rank-zero", "3")
    assert [int(r["iterations"]) for r in results] == [3, 3]


@needs_mpiexec
def test_early_stopping_on_the_reduced_validation_loss_stops_every_rank_at_the_same_epoch(tmp_path):
    one = launch(tmp_path, "one", "--classifier", "--patience", "2", ranks=1)[0]
    first, second = launch(tmp_path, "two", "--classifier", "--patience", "2")
    assert int(first["epochs"]) == int(second["epochs"]) == int(one["epochs"]) < 40
    np.testing.assert_allclose(first["valid"], one["valid"], **TOLERANCE)
    assert_same_parameters(first, second, exact=True)
    assert_same_parameters(one, first)


@needs_mpiexec
def test_a_failing_rank_ends_the_run_with_its_error_not_a_hang(tmp_path):
    done = launch(tmp_path, "fail", "--updates", "50", "--fail-on-rank-one", "3", check=False)
    assert done.returncode != 0
    assert "rank 1 of 2 failed" in done.stderr
    assert "a deliberate failure on rank 1" in done.stderr


def test_the_single_process_stand_in_equals_a_plain_run(float64):
    """Outside mpiexec, ``distributed=True`` is a world of one: the same numbers, bit for bit."""
    results = []
    for distributed in (False, True):
        cost, mask, params = mpi_runs.build(dropout=0.0)
        stream = ArrayStream(mpi_runs.arrays(), 8, seed=3, batch_axis=1, distributed=distributed)
        algorithm = GradientDescent(cost=cost, parameters=params, step_rule=Adam(0.05),
                                    distributed=distributed, count=mask.sum())
        loop = MainLoop(algorithm, stream, extensions=[
            TrainingDataMonitoring([cost], after_batch=True, after_epoch=False), FinishAfter(after_n_batches=5)])
        loop.run()
        results.append(([p.get_value() for p in params], [loop.log[i]["train_cost"] for i in range(1, 6)]))
    (plain_params, plain_costs), (stand_in_params, stand_in_costs) = results
    assert plain_costs == stand_in_costs
    for a, b in zip(plain_params, stand_in_params):
        np.testing.assert_array_equal(a, b)


@needs_mpiexec
def test_a_hanging_rank_ends_the_run_after_the_timeout(tmp_path):
    started = time.perf_counter()
    done = launch(tmp_path, "hang", "--updates", "50", "--hang-on-rank-one", "3", check=False,
                  BRICKWORK_MPI_TIMEOUT="3")
    assert done.returncode != 0
    assert "rank 0 of 2: waited 3 s in the all-reduce of the gradients" in done.stderr
    assert time.perf_counter() - started < 90


# A process that writes to a pipe, tells us on stderr that it waits for its output to be read
# (``_let_the_launcher_read_our_output``, which an aborting rank calls), then prints how long it waited.
WAITER = """
import sys, time
from brickwork.distributed.world import _let_the_launcher_read_our_output
sys.stdout.write("x" * 1000)
start = time.monotonic()
print("waiting", file=sys.stderr, flush=True)
_let_the_launcher_read_our_output({grace})
print(time.monotonic() - start, file=sys.stderr)
"""
needs_linux_pipes = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                       reason="FIONREAD on the writing end of a pipe is Linux's")


def run_waiter(grace, read_after):
    """Start WAITER with both outputs on pipes; read its stdout ``read_after`` s after it waits."""
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}" + os.environ.get("PYTHONPATH", ""))
    with subprocess.Popen([sys.executable, "-c", WAITER.format(grace=grace)], env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as child:
        assert child.stderr.readline() == "waiting\n"
        time.sleep(read_after)
        assert child.stdout.read() == "x" * 1000
        waited = float(child.stderr.read())
    return waited


@needs_linux_pipes
def test_an_aborting_rank_waits_until_the_launcher_has_read_its_output():
    """It returns once the bytes are read (0.5 s), long before the grace (20 s): 10 s of slack for a busy machine."""
    assert 0.5 <= run_waiter(grace=20, read_after=0.5) < 10


@needs_linux_pipes
def test_an_aborting_rank_waits_no_longer_than_the_grace_for_a_launcher_that_does_not_read():
    """It gives up after the grace (0.5 s): 2 s of slack for a busy machine, still short of the 3 s we leave it."""
    assert 0.5 <= run_waiter(grace=0.5, read_after=3) < 2.5
