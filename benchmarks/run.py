"""Time one training step of each workload in every framework installed, side by side.

    python -m benchmarks.run [--workloads W1,W3] [--repeats N] [--output benchmarks/RESULTS.md]

Every framework first computes the loss and gradients on the same data and
parameters; an implementation that disagrees with the hand-written NumPy
reference is reported and not timed. Times are medians over the repeats,
in milliseconds, with ratios to the hand-written loop.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "2")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=2")

import argparse  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

from . import impl_autograd, impl_brickwork, impl_jax, impl_pytensor, impl_torch  # noqa: E402
from .numpy_rnn import NumpyRNN  # noqa: E402
from .workloads import WORKLOADS, Workload, data, parameters  # noqa: E402

REFERENCE = "numpy (hand-written)"
# brickwork twice, each step built and always run under its own config.fusion (see impl_brickwork.build)
NUMPY_TIER, FUSED_TIER = "brickwork (NumPy tier)", "brickwork (fused tier)"
IMPLEMENTATIONS = {
    REFERENCE: lambda w, p: (NumpyRNN(w, p).step, 0.0),
    NUMPY_TIER: lambda w, p: impl_brickwork.build(w, p, fusion="off"),
    FUSED_TIER: lambda w, p: impl_brickwork.build(w, p, fusion="sync"),
    "torch (fused)": impl_torch.build,
    "torch (cell loop)": lambda w, p: impl_torch.build(w, p, fused=False),
    "jax (lax.scan, jit)": impl_jax.build,
    "pytensor (scan)": impl_pytensor.build,
    "autograd": impl_autograd.build,
}
SLOW = {"autograd": 3, "torch (cell loop)": 6, "pytensor (scan)": 6}
ROUNDS = 3
PAUSE = 0.2  # seconds before each implementation's turn


def agree(result, reference) -> tuple[bool, float]:
    """Loss and every gradient within float32 tolerance of the reference.

    The error of each gradient is measured relative to its largest entry:
    float32 sums over T * B terms differ in order between frameworks, which
    moves results by ~1e-6 relative; 1e-3 is far above that and far below
    any real mistake (a wrong gate or a missing term moves them by O(1)).
    """
    loss, grads = result
    ref_loss, ref_grads = reference
    worst = abs(loss - ref_loss) / max(abs(ref_loss), 1e-12)
    for name, ref in ref_grads.items():
        worst = max(worst, float(np.abs(np.asarray(grads[name]) - ref).max() / max(np.abs(ref).max(), 1e-12)))
    return worst < 1e-3, worst


def prepare(name: str, w: Workload, params, x, y, reference) -> dict:
    """Build one implementation, run it once and check it against the reference."""
    try:
        step, build_seconds = IMPLEMENTATIONS[name](w, params)
        first = time.perf_counter()
        result = step(x, y)
        first = time.perf_counter() - first
    except ImportError as error:
        return {"status": f"not installed ({error.name})"}
    ok, error = agree(result, reference)
    if not ok:
        return {"status": f"DISAGREES (relative error {error:.1e})"}
    return {"status": "ok", "step": step, "build": build_seconds, "first": first, "error": error, "times": []}


def time_rounds(rows: dict[str, dict], x, y, repeats: int) -> None:
    """Time the ready implementations in ROUNDS rounds, each running its share of the repeats.

    Rounds spread slow drifts of the machine (its clock, its neighbours) over
    every implementation alike; within a round each runs its repeats back to
    back after a pause, so that the idle threads of the one before (BLAS and
    OpenMP workers spin for a while after their work) do not compete with it.
    """
    for round_ in range(ROUNDS):
        for name, row in rows.items():
            if row["status"] != "ok":
                continue
            total = min(repeats, SLOW.get(name, repeats))
            time.sleep(PAUSE)
            for _ in range(total // ROUNDS + (round_ < total % ROUNDS)):
                t = time.perf_counter()
                row["step"](x, y)
                row["times"].append(1000 * (time.perf_counter() - t))
    for row in rows.values():
        if row["status"] == "ok":
            times = row.pop("times")
            row.update(median=statistics.median(times), min=min(times), max=max(times))
            row["compile"] = row["build"] + max(0.0, row["first"] - row["median"] / 1000)
            del row["step"]


def peak_memory(name: str, w: Workload, params, x, y) -> float:
    """Peak NumPy memory (MiB, via tracemalloc) of building and running two steps.

    Counted from before the build, so buffers kept across calls (the
    hand-written loop's and brickwork's) count once, like the transient ones.
    """
    tracemalloc.start()
    step, _ = IMPLEMENTATIONS[name](w, params)
    step(x, y)
    step(x, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2 ** 20


def compile_times(names: list[str]) -> dict[str, tuple]:
    """C1: compile time of the W3 training function at T 10 and T 1,000.

    Building and compiling, plus whatever the first call costs beyond a
    steady-state call (JAX and PyTorch compile or warm up there).
    """
    w = WORKLOADS["W3"]
    params = parameters(w)
    found = {}
    for name in names:
        seconds = []
        for length in (10, 1000):
            x, y = data(w, length=length)
            try:
                step, build_seconds = IMPLEMENTATIONS[name](w, params)
            except ImportError:
                break
            t = time.perf_counter()
            step(x, y)
            first = time.perf_counter() - t
            t = time.perf_counter()
            step(x, y)
            steady = time.perf_counter() - t
            seconds.append((build_seconds, max(0.0, first - steady)))
        if len(seconds) == 2:
            found[name] = tuple(seconds)
    return found


def versions() -> str:
    """The versions of Python, NumPy and every framework found (importing them, which loads their libraries)."""
    found = [f"Python {platform.python_version()}", f"NumPy {np.__version__}"]
    for module in ("brickwork", "numba", "torch", "jax", "pytensor", "autograd"):
        try:
            imported = __import__(module)
            found.append(f"{module} {getattr(imported, '__version__', '(no version)')}")
        except ImportError:
            pass
    return ", ".join(found)


def thread_pools() -> list[str]:
    """The BLAS and OpenMP libraries loaded in this process as ``threadpoolctl`` reports them, one line each.

    Call it after :func:`versions`, which loads the frameworks' own libraries (PyTorch's OpenMP, say).
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["- threadpoolctl is not installed (pip install -e '.[bench]'): BLAS unknown"]
    return [f"- {pool['internal_api']} {pool.get('version') or '(no version)'} ({pool['user_api']}): "
            f"threading layer {pool.get('threading_layer', 'n/a')}, {pool['num_threads']} threads"
            f"{', ' + pool['architecture'] if pool.get('architecture') else ''}; "
            f"`{os.path.basename(pool['filepath'])}`" for pool in threadpool_info()]


def machine() -> list[str]:
    """The report's header: CPU, versions, and the BLAS and thread pools (printed as the run starts)."""
    lines = [f"Machine: {os.cpu_count()} cores, {cpu()}; 2 threads. {versions()}.", "",
             "BLAS and OpenMP libraries loaded (threadpoolctl):", "", *thread_pools(), ""]
    print("\n".join(lines), flush=True)
    return lines


def cpu() -> str:
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="W1,W2,W3,W4,W5")
    parser.add_argument("--repeats", type=int, default=0, help="default: 30 for W1/W2, 9 for W3/W5, 6 for W4")
    parser.add_argument("--skip", default="", help="implementations to leave out, separated by ';'")
    parser.add_argument("--output", default="benchmarks/RESULTS.md")
    parser.add_argument("--chart", default="benchmarks/results.png")
    parser.add_argument("--replot", action="store_true", help="only redraw the chart from --output")
    args = parser.parse_args()
    if args.replot:
        _chart(_ratios_from_table(args.output), args.chart)
        return
    names = [n for n in IMPLEMENTATIONS if n not in args.skip.split(";")]
    lines = [f"# Benchmark results ({datetime.date.today()})", "", *machine(),
             "One training step (forward, backward, gradients of all parameters of a mean-squared loss on "
             "every output), float32. Times in ms over the repeats, run in three rounds (see README.md); "
             "ratio = median / hand-written NumPy median. Chart: `results.png`. "
             f"{NUMPY_TIER} runs with `brickwork.config.fusion = 'off'`, {FUSED_TIER} with 'sync'.", ""]
    ratios = {}
    for key in args.workloads.split(","):
        w = WORKLOADS[key]
        repeats = args.repeats or {"W1": 30, "W2": 30, "W4": 6}.get(key, 9)
        params = parameters(w)
        x, y = data(w)
        reference = NumpyRNN(w, params).step(x, y)
        lines += [f"## {key}: {w.describe()}", "",
                  "| implementation | median | min | max | ratio | compile (s) | max rel. error | status |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
        rows = {name: prepare(name, w, params, x, y, reference) for name in names}
        time_rounds(rows, x, y, repeats)
        base = rows[REFERENCE]["median"]
        for name, r in rows.items():
            if r["status"] != "ok":
                lines.append(f"| {name} | | | | | | | {r['status']} |")
                continue
            ratios.setdefault(key, {})[name] = r["median"] / base
            lines.append(f"| {name} | {r['median']:.2f} | {r['min']:.2f} | {r['max']:.2f} | "
                         f"{r['median'] / base:.2f}x | {r['compile']:.3f} | {r['error']:.1e} | ok |")
            print(f"{key} {name:22s} {r['median']:9.2f} ms  {r['median'] / base:5.2f}x", flush=True)
        lines.append("")
    if "W4" in args.workloads.split(","):
        w = WORKLOADS["W4"]
        params, (x, y) = parameters(w), data(w)
        memory = {n: peak_memory(n, w, params, x, y) for n in (REFERENCE, NUMPY_TIER, FUSED_TIER) if n in names}
        lines += ["## M1: peak memory of a W4 step (NumPy allocations, tracemalloc)", "",
                  "| implementation | peak MiB | ratio |", "| --- | ---: | ---: |"]
        lines += [f"| {n} | {m:.1f} | {m / memory[REFERENCE]:.2f}x |" for n, m in memory.items()]
        lines.append("")
    compiled = compile_times([n for n in (REFERENCE, NUMPY_TIER, FUSED_TIER, "jax (lax.scan, jit)",
                                          "pytensor (scan)") if n in names])
    lines += ["## C1: compile time of the W3 training function", "",
              "Build and compile (graph, gradient, compiled function), and the first call's time beyond "
              "a steady call (where JAX compiles; where brickwork specializes its loops to the shapes and, "
              "like the hand-written loop, allocates the buffers it then reuses).", "",
              "| implementation | T = 10: compile | first call extra | T = 1,000: compile | first call extra |",
              "| --- | ---: | ---: | ---: | ---: |"]
    lines += [f"| {n} | {a[0]:.3f} s | {a[1]:.3f} s | {b[0]:.3f} s | {b[1]:.3f} s |"
              for n, (a, b) in compiled.items()]
    with open(args.output, "w") as file:
        file.write("\n".join(lines) + "\n")
    print(f"table written to {args.output}")
    _chart(ratios, args.chart)


def _ratios_from_table(path: str) -> dict:
    """The ratios of a RESULTS.md written by this script, by workload and implementation."""
    ratios: dict[str, dict[str, float]] = {}
    workload = None
    with open(path) as file:
        for line in file:
            if line.startswith("## W"):
                workload = line[3:5]
            elif workload and line.startswith("| ") and line.rstrip().endswith("| ok |"):
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                ratios.setdefault(workload, {})[cells[0]] = float(cells[4].rstrip("x"))
    return ratios


def _chart(ratios: dict, path: str) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    order = list(IMPLEMENTATIONS)  # rows of an older table (a single "brickwork") go last
    names = sorted({n for r in ratios.values() for n in r}, key=lambda n: order.index(n) if n in order else len(order))
    figure, axes = plt.subplots(figsize=(9, 4))
    width = 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        axes.bar([k + i * width for k in range(len(ratios))], [r.get(name, 0) for r in ratios.values()],
                 width, label=name)
    axes.set_xticks([k + 0.4 - width / 2 for k in range(len(ratios))], list(ratios))
    axes.set_yscale("log")
    axes.axhline(1.0, color="black", linewidth=0.8)
    axes.set_ylabel("time / hand-written NumPy")
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path)
    print(f"chart written to {path}")


if __name__ == "__main__":
    main()
