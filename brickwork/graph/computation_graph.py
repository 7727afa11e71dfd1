"""``ComputationGraph``: a read-only view of everything some outputs depend on."""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import GraphError
from ..roles import AUXILIARY, PARAMETER, has_roles
from ..tensor.variable import Constant, SharedVariable, Variable, as_variable
from ..tensor.walk import clone_replace, toposort
from ..tensor.walk import variables as walk_variables
from .unroll import unroll

if TYPE_CHECKING:
    import networkx as nx


class ComputationGraph:
    """The graph of ``outputs``.

    Attributes
    ----------
    outputs : list of Variable
    variables : list of Variable
        Every variable, in topological order (inputs first).
    inputs : list of Variable
        The variables without an owner that are neither constants nor shared.
    shared_variables, parameters, auxiliary_variables : list of Variable
    """

    def __init__(self, outputs: Variable | Iterable[Variable]):
        outputs = [outputs] if isinstance(outputs, Variable) else list(outputs)
        self.outputs = [as_variable(o) for o in outputs]
        self.variables = walk_variables(self.outputs)
        self.auxiliary_variables = _auxiliary(self.variables)
        if self.auxiliary_variables:
            # the outputs' own variables keep their order (as in Blocks); the auxiliaries' come after
            seen = {id(v) for v in self.variables}
            self.variables += [v for v in walk_variables(self.auxiliary_variables) if id(v) not in seen]

    @property
    def inputs(self) -> list[Variable]:
        """The graph's inputs: variables without an owner that are neither shared nor constant."""
        return [v for v in self.variables
                if v.owner is None and not isinstance(v, (Constant, SharedVariable))]

    @property
    def shared_variables(self) -> list[SharedVariable]:
        """The shared variables the graph reads."""
        return [v for v in self.variables if isinstance(v, SharedVariable)]

    @property
    def parameters(self) -> list[SharedVariable]:
        """The shared variables with the role PARAMETER."""
        return [v for v in self.shared_variables if has_roles(v, [PARAMETER])]

    def __iter__(self) -> Iterator[Variable]:
        """The variables, so that ``VariableFilter(...)(graph)`` works as on ``graph.variables``."""
        return iter(self.variables)

    @property
    def scans(self) -> list[Any]:
        """The :class:`~brickwork.scan.Scan` ops of the graph (the ops that run a graph of
        their own, :meth:`~brickwork.tensor.op.Op.inner_outputs`), each once, in order."""
        found: list[Any] = []
        for node in toposort(self.outputs + self.auxiliary_variables):
            if node.op.inner_outputs() and all(node.op is not op for op in found):
                found.append(node.op)
        return found

    @property
    def scan_variables(self) -> list[Variable]:
        """The variables of the scans' step graphs (one step, as the step function sees it)."""
        return [var for scan in self.scans for var in ComputationGraph(scan.inner_outputs()).variables]

    def replace(self, replacements: Mapping[Variable, Any] | Iterable[tuple[Variable, Any]]
                ) -> ComputationGraph:
        """A new graph with each variable of ``replacements`` (a dict or pairs) replaced.

        Replacements are made one at a time in topological order, each also
        applied to the replacements still to come (as in Blocks), so a
        replacement built on an earlier replaced variable sees its new value.
        A variable that is not in the graph is skipped with a warning.
        """
        pairs = list(replacements.items()) if isinstance(replacements, Mapping) else list(replacements)
        known = {id(v) for v in self.variables}
        missing = [k for k, _ in pairs if id(k) not in known]
        if missing:
            warnings.warn(f"replace: {[v.name or repr(v) for v in missing]} are not variables of the "
                          f"graph; nothing replaces them", stacklevel=2)
        given = {id(k): as_variable(v) for k, v in pairs if id(k) in known}
        keys = [v for v in self.variables if id(v) in given]
        values = [given[id(k)] for k in keys]
        outputs = list(self.outputs)
        while keys:
            # one at a time in topological order, so later replacements see the earlier ones (Blocks)
            rebuilt = clone_replace(outputs + keys[1:] + values[1:], {keys[0]: values[0]})
            n, m = len(outputs), len(keys) - 1
            outputs, keys, values = rebuilt[:n], rebuilt[n:n + m], rebuilt[n + m:]
        return ComputationGraph(outputs)

    def get_snapshot(self, data: Mapping[str, Any]) -> OrderedDict:
        """The value of every variable that has a role (shared variables aside) on ``data``.

        ``data`` maps each input's name to an array; the result maps variables to arrays.
        """
        from .compile import function
        wanted = [v for v in self.variables if v.tag.roles and not isinstance(v, SharedVariable)]
        missing = [v.name for v in self.inputs if v.name not in data]
        if missing:
            raise GraphError(f"get_snapshot: no data for the inputs {missing}; given {list(data)}")
        values = function(self.inputs, wanted)(*[data[v.name] for v in self.inputs]) if wanted else []
        return OrderedDict(zip(wanted, values if isinstance(values, list) else [values]))

    @property
    def dag(self) -> nx.DiGraph:
        """The graph as a ``networkx.DiGraph``: variable and node vertices, data edges."""
        import networkx as nx  # imported here: it takes longer to import than the rest of brickwork
        graph = nx.DiGraph()
        for var in self.variables:
            graph.add_node(var, kind="variable", label=_label(var))
        for node in toposort(self.outputs + self.auxiliary_variables):
            graph.add_node(node, kind="op", label=repr(node.op))
            for var in node.inputs:
                graph.add_edge(var, node)
            for var in node.outputs:
                graph.add_edge(node, var)
        return graph

    def to_dot(self) -> str:
        """The graph in Graphviz DOT text (ops as boxes, variables as ellipses)."""
        dag = self.dag
        ids = {vertex: f"n{i}" for i, vertex in enumerate(dag.nodes)}
        lines = ["digraph brickwork {"]
        for vertex, data in dag.nodes(data=True):
            shape = "box" if data["kind"] == "op" else "ellipse"
            label = data["label"].replace('"', "'")
            lines.append(f'  {ids[vertex]} [label="{label}", shape={shape}];')
        lines.extend(f"  {ids[a]} -> {ids[b]};" for a, b in dag.edges)
        lines.append("}")
        return "\n".join(lines)

    def unroll(self, n_steps: int) -> ComputationGraph:
        """The graph with every scan materialised as ``n_steps`` explicit steps."""
        return ComputationGraph(unroll(self.outputs, n_steps))

    def __repr__(self) -> str:
        return f"ComputationGraph({len(self.outputs)} outputs, {len(self.variables)} variables)"


def _auxiliary(variables: list[Variable]) -> list[Variable]:
    """The auxiliary variables of the calls and bricks that made ``variables``.

    A brick's own auxiliary variable (``W_norm``) counts only while the graph
    still reads every shared variable it reads (not after
    ``collect_parameters`` replaced them).
    """
    present = {id(v) for v in variables}
    found: dict[int, Variable] = {}
    for var in variables:
        call = getattr(var.tag, "application_call", None)
        for aux in getattr(call, "auxiliary_variables", ()):
            found.setdefault(id(aux), aux)
        for aux in getattr(getattr(var.tag, "brick", None), "auxiliary_variables", ()):
            if id(aux) not in found and all(id(v) in present for v in walk_variables([aux])
                                            if isinstance(v, SharedVariable)):
                found[id(aux)] = aux
    return [v for v in found.values() if has_roles(v, [AUXILIARY])]


def _label(var: Variable) -> str:
    return f"{var.name or ''} {var.type!r}".strip()
