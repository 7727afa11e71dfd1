"""Forecasting: yearly sunspot numbers (statsmodels' copy), one year ahead, against persistence."""

from __future__ import annotations

import argparse

import numpy as np

from brickwork.models import Regressor

from . import HELP_FORMAT
from .plotting import Panel, epoch_curve, save_panels

FIRST_YEAR = 1700  # of statsmodels' yearly series


def load() -> np.ndarray:
    try:
        import statsmodels.api as sm
    except ImportError as error:
        raise SystemExit("the sunspots example needs statsmodels: pip install 'brickwork[examples]'") from error
    return sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(dtype="float64")


def windows(series: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping windows ``(length, n, 1)`` of the series and the same shifted by one year."""
    starts = range(len(series) - length)
    x = np.stack([series[s:s + length] for s in starts], axis=1)[..., None]
    y = np.stack([series[s + 1:s + length + 1] for s in starts], axis=1)[..., None]
    return x.astype("float32"), y.astype("float32")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m brickwork.examples sunspots", description=__doc__,
                                     formatter_class=HELP_FORMAT)
    parser.add_argument("--updates", type=int, default=2000, help="parameter updates (batches of 32 windows)")
    parser.add_argument("--quick", action="store_true", help="a short run, for the tests")
    parser.add_argument("--plot", default="sunspots.png", help="where to draw the learning curve")
    parser.add_argument("--sweep", metavar="FOLDER",
                        help="instead, sweep 8 models (layers x learning rate) on a Dask LocalCluster of 2 workers, "
                             "validated on the last training years; write FOLDER/results.{csv,md,png}")
    args = parser.parse_args(argv)
    series = load()
    split = int(0.8 * len(series))
    scale = series[:split].std()
    normalized = (series - series[:split].mean()) / scale
    if args.sweep:
        return _sweep(normalized[:split], args.sweep, 20 if args.quick else args.updates // 4)
    train_x, train_y = windows(normalized[:split], 24)
    net = Regressor(layers=[1, ("gru", 16), 1], seed=3)
    history = net.train([train_x, train_y], algo="adam", learning_rate=0.01, batch_size=32,
              max_updates=20 if args.quick else args.updates, verbose=False)
    # forecast each test year from the 24 years before it; compare with "same as last year"
    history_x, _ = windows(normalized[split - 24:], 24)
    forecast = net.predict(history_x)[-1, :, 0] * scale + series[:split].mean()
    actual, previous = series[split:], series[split - 1:-1]
    model_rmse = float(np.sqrt(((forecast - actual) ** 2).mean()))
    persistence_rmse = float(np.sqrt(((previous - actual) ** 2).mean()))
    years = range(FIRST_YEAR + split, FIRST_YEAR + len(series))
    save_panels(args.plot, [
        Panel("training", "mean squared error (normalized)",
              {"training loss (epoch mean)": epoch_curve(history, "train_loss")}, xlabel="epochs"),
        Panel(f"test years: RMSE GRU {model_rmse:.1f}, persistence {persistence_rmse:.1f}", "sunspot number",
              {"observed": list(zip(years, actual)), "GRU forecast (a year ahead)": list(zip(years, forecast)),
               "persistence (last year's value)": list(zip(years, previous))},
              xlabel="year", markers=False, log_scale=False)],
        title="sunspots: one-year-ahead forecasts, GRU(16)")
    print(f"one-year-ahead RMSE over {len(actual)} test years: GRU(16) {model_rmse:.1f}, "
          f"persistence {persistence_rmse:.1f}")
    return 0


def _sweep(train: np.ndarray, folder: str, updates: int) -> int:
    """Eight trials: four recurrent layers by two learning rates, the last 15% of years held out."""
    from brickwork.sweep import sweep
    cut = int(0.85 * len(train))
    space = {"layers": [[1, (kind, units), 1] for kind, units in
                        [("gru", 16), ("lstm", 16), ("rnn", 16), ("gru", 32)]],
             "learning_rate": [0.003, 0.01]}
    rows = sweep(Regressor, list(windows(train[:cut], 24)), space, valid=list(windows(train[cut - 24:], 24)),
                 fixed={"algo": "adam", "batch_size": 32, "max_updates": updates}, seed=3, out=folder)
    for row in rows:
        print(f"trial {row['trial']}: {row['layers']} lr {row['learning_rate']}: {row['status']} "
              f"valid_loss {row.get('valid_loss', float('nan')):.4f} ({row['seconds']:.1f} s)")
    print(f"table and plot written to {folder}/results.csv, results.md, results.png")
    return 0
