"""Sweeps of quick-start models on a 2-worker Dask LocalCluster (threads, to stay quick)."""

import csv
import importlib.util

import numpy as np
import pytest

from brickwork.errors import TrainingError
from brickwork.models import Regressor, load_model
from brickwork.sweep import LogUniform, run_trial, sweep, trials

pytest.importorskip("dask.distributed")


def regression_data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).astype("float32")
    return [x, (x[:, :1] * 0.5 - x[:, 1:] ** 2).astype("float32")]


def test_a_grid_is_every_combination_in_order():
    grid = trials({"algo": ["adam", "sgd"], "learning_rate": [0.1, 0.01, 0.001]})
    assert len(grid) == 6
    assert grid[0] == {"algo": "adam", "learning_rate": 0.1} and grid[-1] == {"algo": "sgd", "learning_rate": 0.001}
    assert trials({"a": [1, 2, 3]}, n_trials=2) == [{"a": 1}, {"a": 2}]


def test_random_search_is_seeded_and_stays_in_its_ranges():
    space = {"learning_rate": LogUniform(1e-4, 1e-1), "layers": [[2, 4, 1], [2, 8, 1]]}
    first, again = trials(space, "random", 20, seed=3), trials(space, "random", 20, seed=3)
    assert first == again
    assert first != trials(space, "random", 20, seed=4)
    assert all(1e-4 <= t["learning_rate"] <= 1e-1 for t in first)
    assert {tuple(t["layers"]) for t in first} == {(2, 4, 1), (2, 8, 1)}
    with pytest.raises(TrainingError, match="grid search needs lists"):
        trials(space)
    with pytest.raises(TrainingError, match="n_trials"):
        trials(space, "random")


def test_a_trial_is_seeded_so_it_repeats(tmp_path):
    data, valid = regression_data(64, 0), regression_data(32, 1)
    options = {"layers": [2, 8, 1], "algo": "adam", "max_updates": 20, "batch_size": 16}
    first = run_trial(Regressor, options, 7, data, valid, str(tmp_path / "a.npz"))
    again = run_trial(Regressor, options, 7, data, valid, str(tmp_path / "b.npz"))
    other = run_trial(Regressor, options, 8, data, valid, str(tmp_path / "c.npz"))
    assert first["status"] == "ok" and first["valid_loss"] == again["valid_loss"]
    assert other["valid_loss"] != first["valid_loss"]


def test_a_sweep_on_a_local_cluster_gathers_every_trial_failures_included(tmp_path):
    data, valid = regression_data(128, 0), regression_data(64, 1)
    space = {"layers": [[2, 8, 1], [2, 16, 1]], "algo": ["adam", "no-such-rule"], "learning_rate": [0.003, 0.03]}
    rows = sweep(Regressor, data, space, valid=valid, fixed={"max_updates": 30, "batch_size": 32},
                 seed=10, n_workers=2, processes=False, out=str(tmp_path / "sweep"))
    assert len(rows) == 8
    ok = [r for r in rows if r["status"] == "ok"]
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(ok) == 4 and len(failed) == 4
    assert all(r["algo"] == "no-such-rule" and "unknown algo" in r["error"] for r in failed)
    assert [r["valid_loss"] for r in ok] == sorted(r["valid_loss"] for r in ok)
    assert sorted(r["seed"] for r in rows) == list(range(10, 18))
    best = ok[0]
    reloaded = load_model(best["path"]).evaluate(valid)
    assert reloaded["loss"] == pytest.approx(best["valid_loss"], rel=1e-6)
    with open(tmp_path / "sweep" / "results.csv") as file:
        table = list(csv.DictReader(file))
    assert [int(r["trial"]) for r in table] == [r["trial"] for r in rows]
    markdown = (tmp_path / "sweep" / "results.md").read_text().splitlines()
    assert len(markdown) == 2 + 8 and "valid_loss" in markdown[0]
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "sweep" / "results.png").stat().st_size > 0


def test_a_sweep_runs_on_a_running_scheduler_given_by_its_address(tmp_path):
    from dask.distributed import LocalCluster
    data, valid = regression_data(64, 0), regression_data(32, 1)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        rows = sweep(Regressor, data, {"learning_rate": [0.01, 0.02]}, valid=valid,
                     fixed={"layers": [2, 4, 1], "max_updates": 10, "batch_size": 16},
                     scheduler=cluster.scheduler_address, out=str(tmp_path / "remote"))
        assert len(cluster.scheduler.workers) == 1  # the sweep used this cluster and left it running
    assert [r["status"] for r in rows] == ["ok", "ok"]
    assert (tmp_path / "remote" / "results.md").exists()
