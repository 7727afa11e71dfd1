"""``ComputationGraph``: a read-only view of everything some outputs depend on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..roles import AUXILIARY, PARAMETER, has_roles
from ..tensor.variable import Constant, SharedVariable, Variable, as_variable
from ..tensor.walk import clone_replace, toposort
from ..tensor.walk import variables as walk_variables

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
            self.variables = walk_variables(self.outputs + self.auxiliary_variables)

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

    def replace(self, mapping: Mapping[Variable, Any]) -> ComputationGraph:
        """A new graph with each key of ``mapping`` replaced by its value."""
        return ComputationGraph(clone_replace(self.outputs, {k: as_variable(v) for k, v in mapping.items()}))

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
        from .unroll import unroll
        return ComputationGraph(unroll(self.outputs, n_steps))

    def __repr__(self) -> str:
        return f"ComputationGraph({len(self.outputs)} outputs, {len(self.variables)} variables)"


def _auxiliary(variables: list[Variable]) -> list[Variable]:
    found: dict[int, Variable] = {}
    for var in variables:
        call = getattr(var.tag, "application_call", None)
        brick = getattr(var.tag, "brick", None)
        for aux in [*getattr(call, "auxiliary_variables", ()), *getattr(brick, "auxiliary_variables", ())]:
            found.setdefault(id(aux), aux)
    return [v for v in found.values() if has_roles(v, [AUXILIARY])]


def _label(var: Variable) -> str:
    return f"{var.name or ''} {var.type!r}".strip()
