"""Random graphs for the differential test of the compiler (``test_fuzz_compiler.py``).

A :class:`Builder` grows a graph op by op from a pool of variables whose
concrete shapes it tracks, over the whole op set: elementwise ops with
broadcasting, views (slices, reversed slices, integer indices, transposes,
reshapes, new axes), concatenation, reductions, ``where``, softmax,
``matmul``, ``broadcast_to``. :func:`plain_case` returns such a graph with
gradients (and sometimes gradients of gradients); :func:`scan_case` puts a
random step graph inside a scan, sometimes with a nested scan in the step.
Every case records what it built, line by line, so a failure can be read.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from brickwork import grad, shared, tensor
from brickwork.tensor.variable import Variable

UNARY = {
    "tanh": tensor.tanh, "sigmoid": tensor.sigmoid, "exp": tensor.exp, "neg": lambda a: -a,
    "square": tensor.square, "relu": tensor.relu, "abs": abs, "softplus": tensor.softplus,
    "scale": lambda a: a * 0.7, "log": lambda a: tensor.log(a * a + 1),
    "sqrt": lambda a: tensor.sqrt(a * a + 0.5),
}
BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1), "maximum": tensor.maximum, "minimum": tensor.minimum,
    "where": lambda a, b: tensor.where(a > b, a, b * 2),
}
KINDS = ["unary"] * 4 + ["binary"] * 5 + ["view"] * 6 + ["concatenate", "reduce", "softmax", "matmul",
                                                          "broadcast", "binary_view", "scan_like"]


@dataclass
class Case:
    """A graph to check: the function's inputs and outputs, argument sets for
    successive calls, the length scans run for (None without scans), the
    shared variables it reads, and how it was built."""

    inputs: list[Variable]
    outputs: list[Variable]
    calls: list[list[np.ndarray]]
    n_steps: int | None = None
    shared: list = field(default_factory=list)
    text: list[str] = field(default_factory=list)


class Builder:
    """Grows a graph from ``pool``, a list of ``(variable, shape)`` pairs."""

    def __init__(self, rng: random.Random, pool: list[tuple[Variable, tuple]], text: list[str]):
        self.rng, self.pool, self.text = rng, list(pool), text

    def grow(self, n_ops: int) -> None:
        for _ in range(n_ops):
            kind = self.rng.choice(KINDS)
            operand = self._pick()
            made = getattr(self, "_" + kind)(*operand)
            if made is not None:
                self.pool.append(made)

    def add(self, var: Variable, shape: tuple, line: str) -> tuple[Variable, tuple]:
        self.text.append(f"v{len(self.pool)} = {line}    # {shape}")
        self.pool.append((var, shape))
        return var, shape

    def name(self, var: Variable) -> str:
        return next(f"v{i}" for i, (v, _) in enumerate(self.pool) if v is var)

    def _pick(self) -> tuple[Variable, tuple]:
        # recent variables more often: deep chains, and buffers read for the last time
        n = len(self.pool)
        return self.pool[min(n - 1, int(n * self.rng.random() ** 0.5))]

    def _record(self, var: Variable, shape: tuple, line: str) -> tuple[Variable, tuple]:
        self.text.append(f"v{len(self.pool)} = {line}    # {shape}")
        return var, shape

    def _unary(self, a: Variable, shape: tuple):
        op = self.rng.choice(sorted(UNARY))
        return self._record(UNARY[op](a), shape, f"{op}({self.name(a)})")

    def _binary(self, a: Variable, shape: tuple):
        b, b_shape = self._partner(shape)
        op = self.rng.choice(sorted(BINARY))
        out = np.broadcast_shapes(shape, b_shape)
        return self._record(BINARY[op](a, b), out, f"{op}({self.name(a)}, {self.name(b)})")

    def _binary_view(self, a: Variable, shape: tuple):
        """``a`` against a view of itself: the pattern that shares one buffer."""
        if not shape:
            return None
        axis = self.rng.randrange(len(shape))
        index = (slice(None),) * axis + (slice(None, None, -1),)
        op = self.rng.choice(sorted(BINARY))
        return self._record(BINARY[op](a[index], a), shape, f"{op}({self.name(a)}{_show(index)}, {self.name(a)})")

    def _partner(self, shape: tuple) -> tuple[Variable, tuple]:
        fits = [(v, s) for v, s in self.pool if _broadcasts(s, shape)]
        return self.rng.choice(fits)

    def _view(self, a: Variable, shape: tuple):
        if not shape:
            return None
        choice = self.rng.choice(["slice", "slice", "index", "transpose", "reshape", "expand", "identity"])
        axis = self.rng.randrange(len(shape))
        if choice == "slice":
            piece = self.rng.choice([slice(None, None, -1), slice(1, None), slice(None, -1), slice(None, None, 2),
                                     slice(-2, None, -1)])
            if len(range(*piece.indices(shape[axis]))) == 0:
                return None
            index = (slice(None),) * axis + (piece,)
            return self._record(a[index], np.zeros(shape)[index].shape, f"{self.name(a)}{_show(index)}")
        if choice == "index":
            index = (slice(None),) * axis + (self.rng.randrange(-shape[axis], shape[axis]),)
            return self._record(a[index], np.zeros(shape)[index].shape, f"{self.name(a)}{_show(index)}")
        if choice == "transpose":
            axes = list(range(len(shape)))
            self.rng.shuffle(axes)
            return self._record(a.transpose(*axes), tuple(shape[i] for i in axes),
                                f"{self.name(a)}.transpose{tuple(axes)}")
        if choice == "reshape":
            new = _new_shape(self.rng, shape)
            return self._record(a.reshape(new), new, f"{self.name(a)}.reshape({new})")
        if choice == "expand":
            return self._record(tensor.expand_dims(a, axis), shape[:axis] + (1,) + shape[axis:],
                                f"expand_dims({self.name(a)}, {axis})")
        return self._record(tensor.identity(a), shape, f"identity({self.name(a)})")

    def _concatenate(self, a: Variable, shape: tuple):
        if not shape:
            return None
        axis = self.rng.randrange(len(shape))
        same = [(v, s) for v, s in self.pool if len(s) == len(shape)
                and all(x == y for i, (x, y) in enumerate(zip(s, shape)) if i != axis)]
        b, b_shape = self.rng.choice(same)
        out = shape[:axis] + (shape[axis] + b_shape[axis],) + shape[axis + 1:]
        return self._record(tensor.concatenate([a, b], axis=axis), out,
                            f"concatenate([{self.name(a)}, {self.name(b)}], axis={axis})")

    def _reduce(self, a: Variable, shape: tuple):
        how = self.rng.choice(["sum", "mean", "max"])
        if not shape or self.rng.random() < 0.2:
            return self._record(getattr(a, how)(), (), f"{self.name(a)}.{how}()")
        axis, keep = self.rng.randrange(len(shape)), self.rng.random() < 0.4
        out = shape[:axis] + ((1,) if keep else ()) + shape[axis + 1:]
        return self._record(getattr(a, how)(axis=axis, keepdims=keep), out,
                            f"{self.name(a)}.{how}(axis={axis}, keepdims={keep})")

    def _softmax(self, a: Variable, shape: tuple):
        if not shape:
            return None
        how = self.rng.choice(["softmax", "log_softmax"])
        return self._record(getattr(tensor, how)(a), shape, f"{how}({self.name(a)})")

    def _matmul(self, a: Variable, shape: tuple):
        if not shape:
            return None
        fits = [(v, s) for v, s in self.pool if len(s) == 2 and s[0] == shape[-1]]
        if fits:
            b, b_shape = self.rng.choice(fits)
            out = np.matmul(np.zeros(shape), np.zeros(b_shape)).shape
            return self._record(a @ b * 0.5, out, f"{self.name(a)} @ {self.name(b)} * 0.5")
        if len(shape) == 2:
            return self._record(a @ a.T * 0.5, (shape[0], shape[0]), f"{self.name(a)} @ {self.name(a)}.T * 0.5")
        return None

    def _scan_like(self, a: Variable, shape: tuple):
        """Ops that run along an axis: cumulative sums and sorting."""
        if not shape:
            return None
        axis = self.rng.randrange(len(shape))
        if self.rng.random() < 0.5:
            reverse = self.rng.random() < 0.5
            return self._record(tensor.cumsum(a, axis=axis, reverse=reverse), shape,
                                f"cumsum({self.name(a)}, axis={axis}, reverse={reverse})")
        descending = self.rng.random() < 0.5
        return self._record(tensor.sort(a, axis=axis, descending=descending), shape,
                            f"sort({self.name(a)}, axis={axis}, descending={descending})")

    def _broadcast(self, a: Variable, shape: tuple):
        target = (self.rng.choice([2, 3]),) + shape
        return self._record(tensor.broadcast_to(a, target), target, f"broadcast_to({self.name(a)}, {target})")


def _broadcasts(a: tuple, b: tuple) -> bool:
    try:
        return np.broadcast_shapes(a, b) == b
    except ValueError:
        return False


def _new_shape(rng: random.Random, shape: tuple) -> tuple:
    size = int(np.prod(shape))
    choices = [(size,), (1, size), (size, 1)] + [(d, size // d) for d in (2, 3) if size % d == 0 and size > d]
    return rng.choice(choices)


def _show(index: tuple) -> str:
    def one(item):
        if isinstance(item, int):
            return str(item)
        parts = ["" if p is None else str(p) for p in (item.start, item.stop, item.step)]
        return ":".join(parts if item.step is not None else parts[:2])
    return "[" + ", ".join(one(i) for i in index) + "]"


def _cost(builder: Builder, candidates: list[tuple[Variable, tuple]]) -> Variable:
    """A scalar reading a few of ``candidates``, each against fixed weights."""
    rng = builder.rng
    chosen = rng.sample(candidates, min(len(candidates), rng.randint(1, 3)))
    terms = []
    for var, shape in chosen:
        weights = np.asarray(np.random.default_rng(rng.randrange(2 ** 31)).normal(size=shape))
        terms.append((var * weights).sum() if rng.random() < 0.6 else (var * var).sum() * 0.1)
        builder.text.append(f"cost += {builder.name(var)} against weights{shape}")
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _gradients(builder: Builder, cost: Variable, wrt: list[Variable], second_order: bool) -> list[Variable]:
    grads = grad(cost, wrt, disconnected_inputs="zero")
    builder.text.append(f"outputs += grad(cost, {[v.name for v in wrt]})")
    if not second_order:
        return grads
    again = sum((g * g).sum() for g in grads)
    builder.text.append("outputs += grad(sum of gradient products, inputs)  (a gradient of a gradient)")
    return grads + grad(again, wrt, disconnected_inputs="zero")


def _outputs(builder: Builder, start: int) -> list[Variable]:
    """A few variables of the pool built after ``start`` (views among them), and sometimes an input."""
    rng, made = builder.rng, builder.pool[start:]
    chosen = rng.sample(made, min(len(made), rng.randint(1, 4)))
    if rng.random() < 0.2:
        chosen.append(builder.pool[0])
    builder.text.append(f"outputs = {[builder.name(v) for v, _ in chosen]}")
    return [v for v, _ in chosen]


def _values(rng: random.Random, shapes: list[tuple], n_calls: int) -> list[list[np.ndarray]]:
    generator = np.random.default_rng(rng.randrange(2 ** 31))
    return [[generator.normal(size=s) for s in shapes] for _ in range(n_calls)]


def plain_case(seed: int) -> Case:
    """A random graph without scans: three inputs, 3 to 14 ops, outputs and gradients."""
    rng = random.Random(seed)
    n, m = rng.choice([2, 3, 4]), rng.choice([2, 3, 4])
    a, b, c = tensor.matrix("a", dtype="float64"), tensor.vector("b", dtype="float64"), \
        tensor.tensor3("c", dtype="float64")
    shapes = [(n, m), (m,), (2, n, m)]
    text = [f"a: {shapes[0]}, b: {shapes[1]}, c: {shapes[2]}"]
    builder = Builder(rng, list(zip([a, b, c], shapes)), text)
    weights = None
    if rng.random() < 0.3:
        weights = shared(np.random.default_rng(seed).normal(size=(m, m)), name="W", dtype="float64")
        builder.add(weights, (m, m), "shared W")
    builder.grow(rng.randint(3, 14))
    outputs = _outputs(builder, 3)
    floats = [(v, s) for v, s in builder.pool[3:] if v.type.dtype.kind == "f"]
    if floats:
        outputs += _gradients(builder, _cost(builder, floats), [a, b, c], rng.random() < 0.3)
    return Case([a, b, c], outputs, _values(rng, shapes, 2), None, [weights] if weights is not None else [], text)


def _step_builder(rng: random.Random, text: list[str], free: list[tuple[Variable, tuple]],
                  nested: bool | None, shapes: list[tuple]):
    """The step function of a scan over a sequence of ``(n,)`` slices with a state ``(n,)``;
    it appends the shape of each step output to ``shapes``."""
    def step(x_t, h, *contexts):
        start = len(contexts)
        text.append(f"step: v0..v{start - 1} are the contexts, v{start} = x_t, v{start + 1} = h")
        builder = Builder(rng, [(v, s) for v, (_, s) in zip(contexts, free)] + [(x_t, x_shape), (h, h_shape)], text)
        if nested is not None:
            inner = _inner_scan(rng, text, contexts[0], h, nested)
            builder.add(inner, h_shape, "inner scan over the whole sequence, from h")
        builder.grow(rng.randint(2, 10))
        mixed = [(v, s) for v, s in builder.pool[start + 2:] if _broadcasts(s, h_shape)] or [(x_t, x_shape)]
        drive, _ = rng.choice(mixed)
        new_h = tensor.tanh(h @ contexts[-1] * 0.5 + drive)
        text.append(f"new h = tanh(h @ W * 0.5 + {builder.name(drive)})")
        readable = builder.pool[start:] + [(new_h, h_shape)]
        extra = rng.sample(readable, min(len(readable), rng.randint(0, 2)))
        if extra and rng.random() < 0.2:  # one variable twice: two outputs in one buffer
            extra.append(extra[0])
        text.append(f"step outputs: new h and {[_label(builder, v, new_h) for v, _ in extra]}")
        shapes.extend([h_shape] + [s for _, s in extra])
        return [new_h] + [v for v, _ in extra]
    x_shape = h_shape = (free[-1][1][0],)
    return step


def _label(builder: Builder, var: Variable, new_h: Variable) -> str:
    return "new h" if var is new_h else builder.name(var)


def _inner_scan(rng: random.Random, text: list[str], sequence: Variable, h: Variable, reverse: bool) -> Variable:
    """A scan inside the step: over the whole outer sequence, starting from the outer state."""
    def inner(x_t, g, W):
        return tensor.tanh(x_t * 0.5 + g @ W * 0.3 + tensor.sigmoid(g) * 0.2)
    W = sequence[0].dimshuffle(0, "x") * sequence[-1].dimshuffle("x", 0)
    states = tensor.scan(inner, sequences=[sequence], states=[h], contexts=[W], reverse=reverse)[0]
    text.append(f"  inner scan (reverse={reverse}) gives its states; the step reads their mean over time")
    return states.mean(axis=0)


def scan_case(seed: int) -> Case:
    """A random scan (sometimes nested, sometimes reversed) over a ``(T, n)`` sequence
    with a ``(n,)`` state, ops after it, outputs and gradients."""
    rng = random.Random(seed)
    n, T = rng.choice([2, 3]), rng.choice([2, 3, 4])
    x, h0, W = tensor.matrix("x", dtype="float64"), tensor.vector("h0", dtype="float64"), \
        tensor.matrix("W", dtype="float64")
    shapes = [(T, n), (n,), (n, n)]
    text = [f"x: {shapes[0]}, h0: {shapes[1]}, W: {shapes[2]}"]
    nested = rng.choice([False, True]) if rng.random() < 0.35 else None
    free = [(x, (T, n)), (W, (n, n))] if nested is not None else [(W, (n, n))]
    step_shapes: list[tuple] = []
    step = _step_builder(rng, text, free, nested, step_shapes)
    reverse, last = rng.random() < 0.3, rng.random() < 0.2
    outputs = tensor.scan(step, sequences=[x], states=[h0], contexts=[v for v, _ in free], reverse=reverse,
                          last=[last])
    text.append(f"scan(reverse={reverse}, last state only={last}) -> {len(outputs)} outputs")
    builder = Builder(rng, list(zip([x, h0, W], shapes)), text)
    for k, (out, shape) in enumerate(zip(outputs, step_shapes)):
        builder.add(out, shape if k == 0 and last else (T,) + shape, f"scan output {k}")
    builder.grow(rng.randint(0, 5))
    result = _outputs(builder, 3)
    cost = _cost(builder, [(v, s) for v, s in builder.pool[3:] if v.type.dtype.kind == "f"])
    result += _gradients(builder, cost, [x, h0, W], rng.random() < 0.15)
    return Case([x, h0, W], result, _values(rng, shapes, 2), T, [], text)
