"""Attention encoder-decoder: a training step and beam-search throughput, brickwork vs PyTorch.

    python -m benchmarks.seq2seq [--rounds 5] [--repeats 3] [--searches 4]

(``BENCH_THREADS=1`` in the environment for one BLAS and PyTorch thread instead of two.)

Model (both frameworks, same parameters): embeddings 64, a GRU encoder of
128 units, a GRU decoder of 256 units with content attention (match 128),
a softmax readout of the state and the glimpse over a vocabulary of 100;
source and target length 30, batch 32, float32, 2 threads (``BENCH_THREADS``). PyTorch runs a
fused ``nn.GRU`` encoder and a decoder loop over ``nn.GRUCell`` written by
hand (``benchmarks/seq2seq_torch.py``). Both first compute the cost and
gradients on the same data; a disagreement stops the run.

The training step is timed in interleaved rounds (brickwork, PyTorch,
brickwork, ...), each running ``repeats`` steps of one implementation;
reported are the medians over all steps, and the ratio of the medians with
its range over the rounds. With one thread (``BENCH_THREADS=1``) the clock is
the process's CPU time, which a busy shared machine disturbs far less than
wall-clock time; with two, wall-clock time. Beam search (beam 10, up to 30 steps, untrained
model, so every search runs all 30 steps) is timed the same way, in
searches (sequences decoded) per second; both searches must find the same
best sequences. JAX is not part of this comparison (``jax`` would need its
own decoder loop; it is not installed here).
"""

from __future__ import annotations

import os

THREADS = os.environ.get("BENCH_THREADS", "2")
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = THREADS

import argparse  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from . import seq2seq_brickwork, seq2seq_torch  # noqa: E402

BEAM, EOL, MAX_LENGTH = 10, 0, 30
# with one thread, the process's CPU time: what each implementation costs, however busy the machine
CLOCK = time.process_time if THREADS == "1" else time.perf_counter
MARK_BEGIN, MARK_END = f"<!-- seq2seq {THREADS} begin -->", f"<!-- seq2seq {THREADS} end -->"


def data(sizes, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, sizes.vocabulary, (sizes.source_length, sizes.batch))
    y = rng.integers(1, sizes.vocabulary, (sizes.target_length, sizes.batch))
    return x, np.ones(x.shape, "float32"), y, np.ones(y.shape, "float32")


def check_agreement(results: dict) -> float:
    """The largest relative difference of the cost and the shared gradients (each relative to
    its largest entry); float32 sums in another order move them by ~1e-6."""
    (cost_a, grads_a), (cost_b, grads_b) = results.values()
    worst = abs(cost_a - cost_b) / abs(cost_a)
    for name in grads_b:
        a, b = grads_a[name], grads_b[name]
        worst = max(worst, float(np.abs(a - b).max() / np.abs(a).max()))
    if worst > 1e-3:
        raise SystemExit(f"the implementations disagree (relative error {worst:.1e})")
    return worst


def interleaved(functions: dict, rounds: int, repeats: int, clock=time.perf_counter) -> dict:
    """Per implementation, per round, the seconds of each of ``repeats`` calls on ``clock``."""
    times = {name: [] for name in functions}
    for _ in range(rounds):
        for name, call in functions.items():
            time.sleep(0.2)  # idle BLAS threads of the one before stop spinning
            round_times = []
            for _ in range(repeats):
                started = clock()
                call()
                round_times.append(clock() - started)
            times[name].append(round_times)
    return times


def ratio_row(times: dict, per_second: float | None = None) -> tuple[dict, tuple]:
    """Medians by implementation, and torch / brickwork: the ratio of the medians and its range
    over the rounds."""
    medians = {n: statistics.median(t for r in rounds for t in r) for n, rounds in times.items()}
    per_round = [statistics.median(t) / statistics.median(b)
                 for t, b in zip(times["PyTorch"], times["brickwork"])]
    return medians, (medians["PyTorch"] / medians["brickwork"], min(per_round), max(per_round))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--searches", type=int, default=4, help="sources decoded per round and repeat")
    parser.add_argument("--output", default="benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    sizes = seq2seq_brickwork.Sizes()
    model = seq2seq_brickwork.build_model(sizes)
    params, _ = seq2seq_brickwork.parameters(model)
    steps = {"brickwork": seq2seq_brickwork.training_step(model),
             "PyTorch": seq2seq_torch.training_step(params, sizes)}
    batch = data(sizes)
    error = check_agreement({n: step(*batch) for n, (step, _) in steps.items()})
    print(f"cost and gradients agree (largest relative difference {error:.1e})", flush=True)
    train_times = interleaved({n: (lambda s=s: s(*batch)) for n, (s, _) in steps.items()},
                              args.rounds, args.repeats, CLOCK)
    train = ratio_row(train_times)
    print(f"training step: {train}", flush=True)
    searches = {"brickwork": seq2seq_brickwork.beam_search(model, BEAM, EOL, MAX_LENGTH),
                "PyTorch": seq2seq_torch.beam_search(params, sizes, BEAM, EOL, MAX_LENGTH)}
    sources = np.random.default_rng(1).integers(1, sizes.vocabulary, (args.searches, sizes.source_length))
    found = {n: [search(s) for s in sources] for n, search in searches.items()}
    same = np.mean([a == b for a, b in zip(*found.values())])
    print(f"beam search: {same:.0%} of the best sequences identical", flush=True)
    search_times = interleaved({n: (lambda f=f: [f(s) for s in sources]) for n, f in searches.items()},
                               args.rounds, 1, CLOCK)
    beam = ratio_row(search_times)
    print(f"beam search: {beam}", flush=True)
    write(args.output, sizes, error, train, beam, same, args)
    return 0


def write(path: str, sizes, error, train, beam, same, args) -> None:
    (medians, (ratio, low, high)) = train
    (search_medians, (search_ratio, search_low, search_high)) = beam
    rate = {n: args.searches / t for n, t in search_medians.items()}
    train_row = (f"| training step (ms) | {medians['brickwork'] * 1e3:.1f} | {medians['PyTorch'] * 1e3:.1f} "
                 f"| {ratio:.2f} ({low:.2f}-{high:.2f}) |")
    beam_row = (f"| beam search, beam {BEAM}, {MAX_LENGTH} steps (sequences/s) | {rate['brickwork']:.1f} "
                f"| {rate['PyTorch']:.1f} | {search_ratio:.2f} ({search_low:.2f}-{search_high:.2f}) |")
    text = f"""{MARK_BEGIN}
## Attention encoder-decoder, {THREADS} thread(s) (`BENCH_THREADS={THREADS} python -m benchmarks.seq2seq`)

{datetime.date.today()}, {platform.processor() or platform.machine()}, {THREADS} thread(s), float32.
GRU encoder {sizes.encoder}, GRU decoder {sizes.decoder} with content attention (match {sizes.match}),
embeddings {sizes.embedding}, vocabulary {sizes.vocabulary}, source and target length
{sizes.source_length}, batch {sizes.batch}. PyTorch 2.13: fused `nn.GRU` encoder, decoder loop over
`nn.GRUCell` written by hand. Cost and gradients agree to {error:.1e} (relative) before timing.
Medians of {args.rounds} interleaved rounds of {"CPU" if THREADS == "1" else "wall-clock"} time; the
range is that of the per-round ratios.

| | brickwork | PyTorch (cell loop) | PyTorch / brickwork (range) |
| --- | ---: | ---: | ---: |
{train_row}
{beam_row}

A ratio above 1 means brickwork is faster. The two beam searches found the same best sequence
for {same:.0%} of the {args.searches} sources.
{MARK_END}
"""
    old = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    if MARK_BEGIN in old:
        old = old[:old.index(MARK_BEGIN)] + old[old.index(MARK_END) + len(MARK_END) + 1:]
    with open(path, "w", encoding="utf-8") as f:
        f.write(old.rstrip("\n") + "\n\n" + text)
    print(f"written to {path}")


if __name__ == "__main__":
    raise SystemExit(main())
