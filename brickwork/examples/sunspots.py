"""Forecasting: yearly sunspot numbers (statsmodels' copy), one year ahead, against persistence."""

from __future__ import annotations

import argparse

import numpy as np

from brickwork.models import Regressor

from .plotting import epoch_curve, save_curve


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
    parser = argparse.ArgumentParser(prog="python -m brickwork.examples sunspots", description=__doc__)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="a short run, for the tests")
    parser.add_argument("--plot", default="sunspots.png", help="where to draw the learning curve")
    args = parser.parse_args(argv)
    series = load()
    split = int(0.8 * len(series))
    scale = series[:split].std()
    normalized = (series - series[:split].mean()) / scale
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
    save_curve(args.plot, {"train loss": epoch_curve(history, "train_loss")}, "sunspots, GRU(16)",
               "mean squared error (normalized)", xlabel="epochs")
    print(f"one-year-ahead RMSE over {len(actual)} test years: GRU(16) {model_rmse:.1f}, "
          f"persistence {persistence_rmse:.1f}")
    return 0
