"""Data-parallel throughput of the W3 training step (LSTM in 128, hidden 256, T 100, float32).

``python -m benchmarks.distributed`` (from the repository root, with the
``distributed`` extra) runs, in interleaved rounds, the full update of
``GradientDescent(..., distributed=True)`` on global batches of 64:

- ``1 rank, 1 thread``: one process, ``OPENBLAS_NUM_THREADS=1``;
- ``2 ranks, 1 thread each``: ``mpiexec -n 2``, 32 examples per rank;
- ``1 rank, 2 threads``: one process, ``OPENBLAS_NUM_THREADS=2``;

and, for the scaling model of ``RESULTS.md``, one process with one thread
on batches of 8 and 1 (the compute time of a rank as its share of a global
batch shrinks). Each run prints one JSON line; the driver prints a Markdown
table of the measurements and of the scaling they predict (:func:`predict`).
Timings on a shared machine are noisy: the spread over the rounds is part of
the result.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

from .workloads import WORKLOADS, data, parameters

ROUNDS = 3


def build(global_batch: int, n_batches: int):
    """The W3 update as ``GradientDescent(distributed=True)`` and a sharded stream of global batches."""
    from brickwork import tensor
    from brickwork.algorithms import GradientDescent, Scale
    from brickwork.bricks import Linear
    from brickwork.bricks.recurrent import LSTM
    from brickwork.data import ArrayStream
    w = WORKLOADS["W3"]
    params = parameters(w)
    x, y = tensor.tensor3("x"), tensor.tensor3("y")
    projection, cell = Linear(w.inputs, 4 * w.hidden), LSTM(w.hidden, peepholes=False)
    projection.allocate()
    cell.allocate()
    projection.W.set_value(params["W_x"])
    projection.b.set_value(params["b"])
    cell.W_state.set_value(params["W_h"])
    cost = ((cell.apply(projection.apply(x))[0] - y) ** 2).mean()
    algorithm = GradientDescent(cost=cost, parameters=[projection.W, projection.b, cell.W_state],
                                step_rule=Scale(0.01), distributed=True)
    xs, ys = zip(*(data(w, seed=s) for s in range(-(-global_batch * n_batches // w.batch))))
    arrays = {"x": np.concatenate(xs, axis=1)[:, :global_batch * n_batches],
              "y": np.concatenate(ys, axis=1)[:, :global_batch * n_batches]}
    return algorithm, ArrayStream(arrays, global_batch, shuffle=False, batch_axis=1, distributed=True)


def measure(global_batch: int, updates: int) -> dict:
    """Seconds per update (after 2 warm-up updates) and in the all-reduce, on this rank.

    The slowest rank sets the pace; the driver reports it.
    """
    from brickwork.distributed import world
    this = world()
    algorithm, stream = build(global_batch, updates + 2)
    reduce_seconds = []
    original_sum = this.sum

    def timed_sum(buffer):
        started = time.perf_counter()
        total = original_sum(buffer)
        reduce_seconds.append(time.perf_counter() - started)
        return total
    this.sum = timed_sum
    batches = iter(stream)
    for batch in [next(batches), next(batches)]:
        algorithm.process_batch(batch)
    if this.comm is not None:
        this.comm.Barrier()
    reduce_seconds.clear()
    started = time.perf_counter()
    for batch in batches:
        algorithm.process_batch(batch)
    seconds = (time.perf_counter() - started) / updates
    n_values = sum(p.get_value(borrow=True).size for p in algorithm.parameters)
    return {"rank": this.rank, "ranks": this.size, "global_batch": global_batch, "seconds_per_update": seconds,
            "all_reduce_seconds": float(np.mean(reduce_seconds)) if reduce_seconds else 0.0,
            "all_reduce_bytes": 8 * (n_values + 2) if this.size > 1 else 0, "blas_threads": _blas_threads()}


def _blas_threads() -> int:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return -1
    return max((p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"), default=-1)


def _launch(ranks: int, threads: int, global_batch: int, updates: int) -> dict:
    command = [sys.executable, "-m", "benchmarks.distributed", "--worker", str(global_batch), str(updates)]
    if ranks > 1:
        mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
        command = [mpiexec if os.path.exists(mpiexec) else "mpiexec", "-n", str(ranks)] + command
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # rank 0 prints the slowest rank's figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worker", nargs=2, type=int, metavar=("GLOBAL_BATCH", "UPDATES"))
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--updates", type=int, default=8)
    args = parser.parse_args(argv)
    if args.worker:
        from brickwork.distributed import world
        runs = world().gather(measure(*args.worker))
        if runs is not None:
            print(json.dumps(max(runs, key=lambda r: r["seconds_per_update"])), flush=True)
        return 0
    configs = [("1 rank, 1 thread", 1, 1, 64), ("2 ranks, 1 thread each", 2, 1, 64), ("1 rank, 2 threads", 1, 2, 64)]
    configs += [(f"compute at batch {b}, 1 thread", 1, 1, b) for b in (8, 1)]
    results: dict[str, list[dict]] = {name: [] for name, *_ in configs}
    for round_ in range(args.rounds):
        for name, ranks, threads, batch in configs:
            results[name].append(_launch(ranks, threads, batch, args.updates))
            print(f"round {round_ + 1}: {name}: {results[name][-1]['seconds_per_update'] * 1e3:.1f} ms",
                  file=sys.stderr, flush=True)
    print(table(results))
    compute = {r[0]["global_batch"]: float(np.median([x["seconds_per_update"] for x in r]))
               for name, r in results.items() if "1 thread" in name and "ranks" not in name}
    print(predict(compute, results["2 ranks, 1 thread each"][0]["all_reduce_bytes"]))
    return 0


def table(results: dict[str, list[dict]]) -> str:
    lines = ["| configuration | global batch | ms per update: median | min | max | examples/s (median) "
             "| all-reduce ms (median) | BLAS threads |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, runs in results.items():
        times = np.array([r["seconds_per_update"] for r in runs]) * 1e3
        reduce = np.median([r["all_reduce_seconds"] for r in runs]) * 1e3
        batch = runs[0]["global_batch"]
        lines.append(f"| {name} | {batch} | {np.median(times):.1f} | {times.min():.1f} | {times.max():.1f} | "
                     f"{batch / np.median(times) * 1e3:.0f} | {reduce:.2f} | {runs[0]['blas_threads']} |")
    sizes = {r["all_reduce_bytes"] for runs in results.values() for r in runs if r["all_reduce_bytes"]}
    lines.append(f"\nBytes per all-reduce (float64 buffer): {', '.join(str(s) for s in sorted(sizes))}")
    return "\n".join(lines)


# Assumed networks: (name, bandwidth in bytes/s, latency per message in s)
NETWORKS = [("10 Gb/s Ethernet (TCP), 25 us", 10e9 / 8, 25e-6), ("100 Gb/s InfiniBand (RDMA), 2 us", 100e9 / 8, 2e-6)]


def communication_seconds(ranks: int, size: int, bandwidth: float, latency: float) -> float:
    """Ring all-reduce of ``size`` bytes, plus the binomial-tree broadcast of the stop flag.

    The ring sends ``2 (p-1)`` messages of ``size / p`` bytes from every rank
    (reduce-scatter, then all-gather): ``2 (p-1) latency + 2 (p-1)/p size / bandwidth``.
    """
    if ranks == 1:
        return 0.0
    ring = 2 * (ranks - 1) * latency + 2 * (ranks - 1) / ranks * size / bandwidth
    return ring + np.ceil(np.log2(ranks)) * latency


def predict(compute: dict[int, float], size: int, ranks: tuple = (8, 64, 512)) -> str:
    """Weak scaling (64 examples per rank) and strong scaling (a global batch of 512) from the measurements.

    ``compute`` maps a per-rank batch to the measured seconds of one update
    on one thread; ``size`` is the bytes of one all-reduce. Efficiency is
    the step time if compute shrank in proportion to the examples and
    communication were free, over the predicted step time.
    """
    lines = ["| network | ranks | per-rank batch | compute ms | communication ms | step ms | "
             "examples/s | efficiency |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, bandwidth, latency in NETWORKS:
        for scaling, per_rank in (("weak", lambda p: 64), ("strong", lambda p: 512 // p)):
            for p in ranks:
                batch = per_rank(p)
                if batch not in compute:
                    continue
                comm = communication_seconds(p, size, bandwidth, latency)
                step = compute[batch] + comm
                ideal = compute[64] * batch / 64  # perfect scaling: compute in proportion to the examples
                lines.append(f"| {name} ({scaling}) | {p} | {batch} | {compute[batch] * 1e3:.1f} | {comm * 1e3:.2f} "
                             f"| {step * 1e3:.1f} | {p * batch / step:.0f} | {ideal / step:.0%} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
