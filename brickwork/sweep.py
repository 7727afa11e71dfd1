"""Hyper-parameter sweeps of quick-start models, as Dask tasks.

A sweep trains one model per trial, each trial a choice of options (layer
specs, step rule, learning rate, batch size, ...), on the workers of a Dask
cluster: a ``LocalCluster`` started for the call, or the scheduler at a given
address (``scheduler="tcp://host:8786"``). Every trial is seeded (the sweep's
seed plus its number), trains, is evaluated on the validation data and saved
with ``model.save``. The results come back as rows of a table, written as CSV
and Markdown with a plot of the chosen metric; a trial that fails is a row
with its error, and the others go on.
"""

from __future__ import annotations

import csv
import inspect
import itertools
import os
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .errors import TrainingError


class LogUniform:
    """A range for random search: values spread evenly on a log scale in ``[low, high]``."""

    def __init__(self, low: float, high: float):
        if not 0 < low < high:
            raise TrainingError(f"LogUniform needs 0 < low < high; got low={low}, high={high}")
        self.low, self.high = low, high

    def draw(self, rng: np.random.Generator) -> float:
        return float(np.exp(rng.uniform(np.log(self.low), np.log(self.high))))

    def __repr__(self) -> str:
        return f"LogUniform({self.low}, {self.high})"


def trials(space: Mapping[str, Any], search: str = "grid", n_trials: int | None = None,
           seed: int = 0) -> list[dict]:
    """The options of each trial.

    Parameters
    ----------
    space : dict from option name to a list of values (or a :class:`LogUniform`, random search only)
    search : {'grid', 'random'}
        ``'grid'``: every combination (the first ``n_trials`` of them if given);
        ``'random'``: ``n_trials`` independent draws, seeded by ``seed``.
    """
    if search == "grid":
        ranges = [name for name, values in space.items() if isinstance(values, LogUniform)]
        if ranges:
            raise TrainingError(f"grid search needs lists of values; {ranges} are ranges (use search='random')")
        combos = [dict(zip(space, values)) for values in itertools.product(*space.values())]
        return combos[:n_trials] if n_trials is not None else combos
    if search != "random":
        raise TrainingError(f"search must be 'grid' or 'random', not {search!r}")
    if not n_trials:
        raise TrainingError("random search needs n_trials")
    rng = np.random.default_rng(seed)
    return [{name: values.draw(rng) if isinstance(values, LogUniform) else values[rng.integers(len(values))]
             for name, values in space.items()} for _ in range(n_trials)]


def run_trial(model: Callable, options: dict, seed: int, data: Any, valid: Any, path: str) -> dict:
    """Build, train, evaluate and save one model; a failure becomes a row with its error.

    Options the model's constructor takes (``layers``, ...) go to it, with
    ``seed``; the others go to ``train``.
    """
    accepted = inspect.signature(model).parameters
    built = {k: v for k, v in options.items() if k in accepted}
    trained = {k: v for k, v in options.items() if k not in accepted}
    row: dict[str, Any] = {"seed": seed, "status": "ok", "path": "", "error": ""}
    start = time.perf_counter()
    try:
        net = model(**built, **({"seed": seed} if "seed" in accepted else {}))
        history = net.train(data, verbose=False, **trained)
        row["train_loss"] = history[-1]["train_loss"] if history else float("nan")
        if valid is not None:
            row.update({f"valid_{k}": v for k, v in net.evaluate(valid).items()})
        net.save(path)
        row["path"] = path
    except Exception as error:  # noqa: BLE001 - a failed trial is recorded, and the sweep goes on
        row.update(status="failed", error=f"{type(error).__name__}: {error}",
                   traceback=traceback.format_exc(limit=3))
    row["seconds"] = time.perf_counter() - start
    return row


def sweep(model: Callable, data: Any, space: Mapping[str, Any], valid: Any = None, search: str = "grid",
          n_trials: int | None = None, seed: int = 0, fixed: Mapping[str, Any] | None = None,
          scheduler: str | None = None, n_workers: int = 2, processes: bool = True,
          out: str = "sweep", metric: str = "valid_loss") -> list[dict]:
    """Train one model per trial on a Dask cluster; write the results table and plot.

    Parameters
    ----------
    model : class
        A quick-start model (``Regressor``, ``Classifier``) or any callable
        taking constructor options and returning an object with ``train``,
        ``evaluate`` and ``save``.
    data, valid : list of arrays
        As ``model.train`` and ``model.evaluate`` take them; sent to the
        workers once.
    space : dict
        The options that vary, see :func:`trials`.
    fixed : dict, optional
        Options every trial shares (``max_updates``, ``batch_size``, ...).
    scheduler : str, optional
        A Dask scheduler's address; by default a ``LocalCluster`` of
        ``n_workers`` workers of one thread each (``processes=False`` runs
        them as threads of this process) is started and closed for the call.
    out : str
        The folder for the models (``trial_<i>.npz``) and ``results.csv``,
        ``results.md`` and ``results.png``.
    metric : str
        The column the table is sorted by and the plot shows (lower is better).

    Returns
    -------
    list of dict
        One row per trial, best first: ``trial``, its options, ``seed``,
        ``status`` (``'ok'`` or ``'failed'``), ``train_loss``, ``valid_*``,
        ``seconds``, ``path`` and ``error``.
    """
    from dask.distributed import Client, LocalCluster, as_completed
    chosen = trials(space, search, n_trials, seed)
    os.makedirs(out, exist_ok=True)
    cluster = None if scheduler else LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                                  processes=processes, dashboard_address=None)
    client = Client(scheduler or cluster)
    try:
        shared = client.scatter([data, valid], broadcast=True)
        futures = {client.submit(run_trial, model, {**(fixed or {}), **options}, seed + i, shared[0], shared[1],
                                 os.path.abspath(os.path.join(out, f"trial_{i}.npz")), pure=False): i
                   for i, options in enumerate(chosen)}
        rows = [_gathered(future, futures[future]) for future in as_completed(futures)]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    rows = [{"trial": i, **chosen[i], **row} for i, row in sorted((r.pop("trial"), r) for r in rows)]
    rows.sort(key=lambda r: (r["status"] != "ok", r.get(metric, float("inf"))))
    write_tables(rows, out, list(space))
    plot_results(rows, os.path.join(out, "results.png"), metric, list(space))
    return rows


def _gathered(future: Any, trial: int) -> dict:
    """A finished trial's row; a task lost with its worker becomes a failed row too."""
    try:
        row = future.result()
    except Exception as error:  # noqa: BLE001 - recorded, as a failure inside the trial is
        row = {"status": "failed", "error": f"{type(error).__name__}: {error}", "path": ""}
    return {"trial": trial, **row}


def _columns(rows: Sequence[dict], options: Sequence[str]) -> list[str]:
    first = ["trial", *options, "seed", "status"]
    last = ["seconds", "path", "error"]
    middle = sorted({k for r in rows for k in r} - set(first) - set(last) - {"traceback"})
    return first + middle + last


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value) if value is not None else ""


def write_tables(rows: Sequence[dict], out: str, options: Sequence[str]) -> None:
    """Write ``rows`` to ``out/results.csv`` and ``out/results.md``."""
    columns = _columns(rows, options)
    with open(os.path.join(out, "results.csv"), "w", newline="") as file:
        writer = csv.DictWriter(file, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_text(r.get(c)).replace("|", "\\|") for c in columns) + " |" for r in rows]
    with open(os.path.join(out, "results.md"), "w") as file:
        file.write("\n".join(lines) + "\n")


def plot_results(rows: Sequence[dict], path: str, metric: str, options: Sequence[str]) -> str | None:
    """A bar per trial of ``metric`` (failed trials labelled so); None without matplotlib."""
    try:
        from matplotlib.figure import Figure  # a figure of its own: the user's backend stays as it is
    except ImportError:
        return None
    labels = [f"{r['trial']}: " + ", ".join(f"{o}={_text(r.get(o))}" for o in options) for r in rows]
    values = [r.get(metric, np.nan) if r["status"] == "ok" else np.nan for r in rows]
    figure = Figure(figsize=(8, 0.4 * len(rows) + 1.2))
    axes = figure.subplots()
    axes.barh(range(len(rows)), np.nan_to_num(values, nan=0.0), color="tab:blue")
    for i, row in enumerate(rows):
        if row["status"] != "ok":
            axes.text(0, i, "  failed: " + row["error"][:60], va="center", color="tab:red")
    axes.set_yticks(range(len(rows)), labels, fontsize=7)
    axes.invert_yaxis()
    axes.set_xlabel(metric)
    axes.set_title(f"sweep: {len(rows)} trials, best first")
    figure.tight_layout()
    figure.savefig(path)
    return path
