"""``function``: compile a graph into a flat schedule of NumPy kernels and run it.

Compiling sorts the nodes, rewrites them (:mod:`brickwork.graph.rewrites`) and
lowers them to a list of steps over numbered storage slots. Running is one
loop over that list; a slot is released as soon as its last reader has run,
so intermediate arrays do not outlive their use. Updates of shared variables
are computed first and written together, so they are simultaneous.

Buffers have owners. A compiled function owns the arrays its kernels make,
never its arguments, constants or shared values. Every slot is tracked as a
view of the buffers it may share memory with (through slices, reshapes,
transposes, scans, ...), and a buffer is alive while a slot of it is still
to be read or is a result. A kernel writes in place only into a buffer the
function owns and that nothing alive can see (:mod:`brickwork.graph.inplace`),
so the in-place pass never changes a result. A result that is a view, an
argument, a constant or repeated is copied before it is returned: the caller
owns what it gets, and no later call changes it (a scan reuses a pooled
buffer only when nothing refers to it any more, :mod:`brickwork.scan.pool`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..errors import ExecutionError, GraphError, InputError
from ..tensor.elemwise import conform
from ..tensor.variable import Constant, SharedVariable, Variable, as_variable
from ..tensor.walk import clone_replace, toposort
from . import blame
from .codegen import generate
from .gcpause import gc_paused
from .inplace import inplace_kernels
from .reference import evaluate
from .rewrites import optimize

MAX_GENERATED_STEPS = 20_000
#: a pass over the rewritten steps ``(op, inputs, outputs)`` and the function's results,
#: returning new steps (a scan's fused tier, :mod:`brickwork.scan.fusion`)
StepPass = Callable[[list, list], list]


class Lowering(NamedTuple):
    """A compiled graph as the code generators see it (see :mod:`brickwork.graph.codegen`).

    Attributes
    ----------
    schedule : list of (Kernel, input slots, output slots, slots released after it)
    input_slots : list of int
        The slot of each input, in the function's order.
    shared : list of (int, SharedVariable)
        The slot of each shared variable read.
    constants : dict of int to array
    output_slots : list of int
        The slot of each output (the updates' new values follow them in ``result_slots``).
    result_slots : list of int
    types : dict of int to TensorType
    """

    schedule: list
    input_slots: list[int]
    shared: list[tuple[int, SharedVariable]]
    constants: dict[int, Any]
    output_slots: list[int]
    result_slots: list[int]
    types: dict[int, Any]


class Function:
    """A compiled graph; call it with one array per input.

    Parameters
    ----------
    inputs, outputs, updates, givens
        As for :func:`function`.
    step_pass : callable, optional
        Run on the steps after the rewrites (see ``StepPass``): a scan's
        fused tier replaces regions of them by kernels.

    Attributes
    ----------
    inputs : list of Variable
    outputs : list of Variable
    updates : list of (SharedVariable, Variable)
    n_steps : int
        Kernels run per call after rewriting (a measure of the work).
    program : callable
        From the list of input arrays to the list of results (outputs, then
        new values of the updated variables), with no checks and no copies:
        what a call runs after validating its arguments (a Scan runs its
        step programs directly).
    lowering : Lowering
        The schedule over numbered slots that ``program`` runs (a Scan
        generates its loop from its step's).
    """

    @gc_paused
    def __init__(self, inputs: Sequence[Variable], outputs: Any,
                 updates: Any = None, givens: Mapping | None = None, step_pass: StepPass | None = None):
        self.inputs = list(inputs)
        self._single = isinstance(outputs, Variable)
        outputs = [] if outputs is None else [outputs] if self._single else list(outputs)
        self.updates = _check_updates(updates)
        self._check_inputs()
        targets = [as_variable(o) for o in outputs] + [e for _, e in self.updates]
        if givens:
            targets = clone_replace(targets, {k: as_variable(v) for k, v in givens.items()})
        self.outputs = targets[:len(outputs)]
        nodes = toposort(targets, stop_at=self.inputs)
        steps, targets = optimize(nodes, targets)
        if step_pass is not None:
            steps = step_pass(steps, targets)
        self._lower(steps, targets, len(outputs))

    def _check_inputs(self) -> None:
        seen = set()
        for i, var in enumerate(self.inputs):
            if not isinstance(var, Variable):
                raise GraphError(f"function input {i} is {var!r}, not a symbolic Variable")
            if isinstance(var, (Constant, SharedVariable)):
                raise GraphError(f"function input {i} ({var!r}) is a constant or shared "
                                 "variable; those are part of the graph, not arguments")
            if id(var) in seen:
                raise GraphError(f"function input {i} ({var!r}) is given twice")
            seen.add(id(var))

    def _lower(self, steps, targets: list[Variable], n_outputs: int) -> None:
        slots: dict[int, int] = {}
        template: list[Any] = []
        shared: list[tuple[int, SharedVariable]] = []

        def slot(var: Variable) -> int:
            if id(var) not in slots:
                slots[id(var)] = len(template)
                template.append(var.value if isinstance(var, Constant) else None)
                if isinstance(var, SharedVariable):
                    shared.append((slots[id(var)], var))
                elif var.owner is None and not isinstance(var, Constant) and id(var) not in inputs:
                    raise GraphError(f"the outputs depend on {var!r}, which is not among "
                                     f"the function's inputs {self.inputs}")
            return slots[id(var)]

        inputs = {id(v) for v in self.inputs}
        self._input_slots = [slot(v) for v in self.inputs]
        lowered = [(op, [slot(v) for v in ins], [slot(v) for v in outs]) for op, ins, outs in steps]
        result_slots = [slot(v) for v in targets]
        self._output_slots = result_slots[:n_outputs]
        self._types = {slots[id(v)]: v.type for _, ins, outs in steps for v in ins + outs}
        self._sites = [outs[0].owner.site if outs and outs[0].owner is not None else None for _, _, outs in steps]
        self._schedule = _schedule(lowered, set(result_slots) | set(self._input_slots), self._types)
        self._template = template
        self._shared = shared
        self._constant_ids = {id(v) for v in template if v is not None}
        self.n_steps = len(self._schedule)
        self._constants = {i: v for i, v in enumerate(template) if v is not None}
        self._result_slots = result_slots
        self.lowering = Lowering(self._schedule, self._input_slots, shared, self._constants, self._output_slots,
                                 result_slots, self._types)
        # generating Python source pays off per call; for huge graphs compiling it would cost more
        self.program = (generate(self._schedule, self._input_slots, shared, self._constants, result_slots,
                                  self._types)
                         if len(self._schedule) <= MAX_GENERATED_STEPS else self.interpret)

    def __call__(self, *args: Any) -> Any:
        storage = list(self._template)
        if len(args) != len(self.inputs):
            names = ", ".join(repr(v.name or f"input {i}") for i, v in enumerate(self.inputs))
            raise InputError(f"expected {len(self.inputs)} arguments ({names}), got {len(args)}")
        for i, (slot, var, arg) in enumerate(zip(self._input_slots, self.inputs, args)):
            storage[slot] = validate_argument(var, arg, i)
        for slot, var in self._shared:
            if not var.initialized:
                raise InputError(f"parameter {_label(var)} was allocated but never initialized; "
                                 "call initialize() on its brick (or set_value) first")
            storage[slot] = var.container[0]
        arguments = [storage[s] for s in self._input_slots]
        protected = {id(a) for a in arguments}
        protected.update(id(v.container[0]) for _, v in self._shared)
        results = self._run(arguments)
        protected |= self._constant_ids
        n = len(self._output_slots)
        outputs = _owned(results[:n], protected)
        new_values = _owned(results[n:], protected)
        for (var, _), value in zip(self.updates, new_values):
            var.container[0] = value
        if self._single:
            return outputs[0]
        return outputs

    def interpret(self, arguments: Sequence[Any]) -> list:
        """The results for ``arguments``, computed by the plain interpreter (slow); an
        error names the op that fails and the shapes of its inputs."""
        storage = list(self._template)
        for slot, arg in zip(self._input_slots, arguments):
            storage[slot] = arg
        for slot, var in self._shared:
            storage[slot] = var.container[0]
        try:
            run_schedule(self._schedule, storage)
        except ExecutionError as error:
            site = self._sites[error.step] if getattr(error, "step", None) is not None else None
            named = blame.with_site(error, site, self._value_of(arguments))
            if named is error:
                raise
            raise named from error
        return [storage[s] for s in self._result_slots]

    def _value_of(self, arguments: Sequence[Any]) -> Callable[[Variable], Any]:
        """A variable's value for ``arguments`` (None when this graph cannot compute it),
        computed anew by the reference evaluator: for error messages only."""
        known = dict(zip(self.inputs, arguments))

        def value(var: Variable) -> Any:
            try:
                return evaluate(var, known)
            except Exception:  # the variable is not in this graph, or computing it fails too
                return None
        return value

    def _run(self, arguments: Sequence[Any]) -> list:
        """The generated program; on failure, the interpreter names the op and the brick that failed."""
        try:
            return self.program(arguments)
        except Exception:
            try:
                self.interpret(arguments)
            except ExecutionError as error:
                named = blame.finished(error)
                if named is error:
                    raise
                raise named from error
            raise


def run_schedule(schedule: list, storage: list) -> None:
    """Run the steps of a lowered graph over ``storage`` (the inner loop)."""
    step = None
    try:
        for step in schedule:
            kernel, ins, outs, releases = step
            result = kernel.run(*[storage[i] for i in ins])
            if len(outs) == 1:
                storage[outs[0]] = result
            else:
                for o, r in zip(outs, result):
                    storage[o] = r
            for i in releases:
                storage[i] = None
    except ExecutionError as error:
        error.step = schedule.index(step)
        raise
    except Exception as error:
        op = step[0].op
        shapes = ", ".join(str(np.shape(storage[i])) for i in step[1])
        failed = ExecutionError(f"{op!r} failed on inputs of shapes {shapes}: {error}")
        failed.step = schedule.index(step)
        raise failed from error


def _schedule(lowered: list, keep: set[int], types: dict) -> list:
    """Steps ``(kernel, inputs, outputs, slots to release after it)``; see
    :class:`~brickwork.graph.inplace.Kernel`."""
    last_use: dict[int, int] = {}
    for n, (_, ins, _) in enumerate(lowered):
        for i in ins:
            last_use[i] = n
    releases: list[list[int]] = [[] for _ in lowered]
    for i, n in last_use.items():
        if i not in keep:
            releases[n].append(i)
    kernels = inplace_kernels(lowered, keep, types)
    return [(kernel, tuple(ins), tuple(outs), tuple(r))
            for kernel, (_, ins, outs), r in zip(kernels, lowered, releases)]


def _owned(values: list, protected: set[int]) -> list:
    """Copies where an array is a view, an argument, a constant or repeated."""
    out = []
    for value in values:
        value = np.asarray(value)
        if not value.flags.owndata or id(value) in protected or not value.flags.writeable:
            value = value.copy()
        protected.add(id(value))
        out.append(value)
    return out


def _label(var: SharedVariable) -> str:
    brick = getattr(var.tag, "brick", None)
    return f"{brick.get_hierarchical_name()}.{var.name}" if brick is not None else repr(var.name)


def validate_argument(var: Variable, arg: Any, position: int) -> np.ndarray:
    """``arg`` as an array of ``var``'s type, or an InputError saying what differs."""
    value = np.asarray(arg)
    label = f"input {var.name!r} (argument {position})" if var.name else f"argument {position}"
    if value.ndim != var.ndim:
        raise InputError(f"{label}: expected {var.ndim} axes ({var.type!r}), "
                         f"got an array of shape {value.shape}")
    if value.dtype != var.type.dtype:
        if not np.can_cast(value.dtype, var.type.dtype, "same_kind"):
            raise InputError(f"{label}: expected dtype {var.dtype}, got {value.dtype}, "
                             "which does not cast safely")
        value = value.astype(var.type.dtype)
    for axis, (want, got) in enumerate(zip(var.type.shape, value.shape)):
        if want is not None and want != got:
            raise InputError(f"{label}: expected size {want} on axis {axis} "
                             f"({var.type!r}), got an array of shape {value.shape}")
    return value


def _check_updates(updates: Any) -> list[tuple[SharedVariable, Variable]]:
    pairs = list(updates.items()) if isinstance(updates, Mapping) else list(updates or [])
    checked, seen = [], set()
    for shared_var, expr in pairs:
        if not isinstance(shared_var, SharedVariable):
            raise GraphError(f"an update must target a shared variable, got {shared_var!r}")
        if id(shared_var) in seen:
            raise GraphError(f"shared variable {shared_var.name!r} is updated twice")
        seen.add(id(shared_var))
        checked.append((shared_var, conform(as_variable(expr), shared_var, f"update of {shared_var.name!r}")))
    return checked


def function(inputs: Iterable[Variable], outputs: Any = None, updates: Any = None,
             givens: Mapping | None = None) -> Function:
    """Compile ``outputs`` as a function of ``inputs``.

    Parameters
    ----------
    inputs : list of Variable
        Symbolic inputs, in the order the compiled function takes arrays.
    outputs : Variable, list of Variable or None
        A single variable gives a single array; a list gives a list.
    updates : list of (SharedVariable, Variable) pairs or dict, optional
        New values for shared variables, all written after the call computes.
    givens : dict, optional
        Variables of the graph to replace by other variables or values.
    """
    return Function(list(inputs), outputs, updates, givens)
