"""Brick-level diagrams: which application of which brick feeds which, with the bricks' sizes.

:func:`brick_diagram` reads a graph's application calls (the variables that
``@application`` tags as inputs and outputs) and connects a call to the
calls whose outputs reach its inputs through plain ops. The diagram comes as
DOT text (``to_dot``; the brick tree as nested clusters) or as a PNG drawn
with matplotlib alone (``save_png``; no Graphviz needed). The op-level DOT of
a :class:`~brickwork.graph.ComputationGraph` stays available for the detail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..roles import INPUT, OUTPUT, has_roles
from ..tensor.variable import Constant, SharedVariable, Variable
from .computation_graph import ComputationGraph


class BrickDiagram:
    """Application calls as boxes, data flow as arrows.

    Attributes
    ----------
    boxes : dict
        Box id to ``(label, brick path)``; the ids ``input:<name>`` and
        ``output:<i>`` stand for the graph's inputs and outputs.
    arrows : list of (str, str, str)
        ``(from box, to box, input name)``.
    """

    def __init__(self, boxes: dict[str, tuple[str, str]], arrows: list[tuple[str, str, str]]):
        self.boxes, self.arrows = boxes, arrows

    def to_dot(self) -> str:
        """The diagram as Graphviz DOT text, bricks nested as clusters by their path."""
        lines = ["digraph bricks {", "  rankdir=TB;", '  node [shape=box, fontname="Helvetica"];']
        tree: dict[str, list[str]] = {}
        for box, (_, path) in self.boxes.items():
            tree.setdefault(path.rsplit("/", 1)[0] if path.count("/") > 1 else "", []).append(box)
        for parent, members in sorted(tree.items()):
            indent = "  "
            if parent:
                lines.append(f'  subgraph "cluster_{parent}" {{ label="{parent}";')
                indent = "    "
            lines += [f'{indent}"{box}" [label="{_escape(self.boxes[box][0])}"];' for box in members]
            if parent:
                lines.append("  }")
        lines += [f'  "{a}" -> "{b}" [label="{name}"];' for a, b, name in self.arrows]
        return "\n".join(lines + ["}"])

    def layers(self) -> list[list[str]]:
        """The boxes by depth: each box one layer below the deepest box that feeds it."""
        depth = {box: 0 for box in self.boxes}
        for _ in range(len(self.boxes)):
            changed = False
            for a, b, _ in self.arrows:
                if depth[b] < depth[a] + 1:
                    depth[b], changed = depth[a] + 1, True
            if not changed:
                break
        rows: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
        for box in self.boxes:
            rows[depth[box]].append(box)
        return rows

    def save_png(self, path: str) -> None:
        """Draw the diagram into the PNG file ``path`` (matplotlib, on a figure of its own)."""
        from matplotlib.figure import Figure
        rows = self.layers()
        width = max((len(r) for r in rows), default=1)
        figure = Figure(figsize=(max(4.0, 3.2 * width), max(2.0, 1.3 * len(rows))))
        axes = figure.subplots()
        where = {box: ((i + 0.5) / len(row), 1 - (depth + 0.5) / len(rows))
                 for depth, row in enumerate(rows) for i, box in enumerate(row)}
        for a, b, name in self.arrows:
            axes.annotate("", xy=where[b], xytext=where[a], arrowprops={
                "arrowstyle": "-|>", "color": "0.4", "shrinkA": 16, "shrinkB": 18, "mutation_scale": 14})
            middle = [(p + q) / 2 for p, q in zip(where[a], where[b])]
            axes.text(*middle, name, fontsize=7, color="0.3", ha="left", va="center")
        for box, (x, y) in where.items():
            edge = "tab:blue" if not box.startswith(("input:", "output:")) else "0.5"
            axes.text(x, y, self.boxes[box][0], ha="center", va="center", fontsize=8,
                      bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": edge})
        axes.set_axis_off()
        axes.set_title("bricks and the data flow between their applications", fontsize=9)
        figure.savefig(path, dpi=110, bbox_inches="tight")


def brick_diagram(outputs: Variable | Sequence[Variable], describe: Any = repr) -> BrickDiagram:
    """The brick-level diagram of the graph of ``outputs``.

    Parameters
    ----------
    outputs : Variable or list of Variable
    describe : callable
        Brick -> text with its sizes, shown under the brick's path
        (default ``repr``, such as ``LSTM(16)`` or ``Linear(8 => 64)``).
    """
    graph = ComputationGraph(outputs)
    ids: dict[int, str] = {}
    boxes: dict[str, tuple[str, str]] = {}
    for var in graph.variables:
        call = _call(var)
        if call is not None and id(call) not in ids:
            path = call.brick.get_hierarchical_name()
            name = f"{path}.{var.tag.application}"
            ids[id(call)] = name if name not in boxes else f"{name}#{len(boxes)}"
            boxes[ids[id(call)]] = (f"{name}\n{describe(call.brick)}", path)
    arrows = []
    for var in graph.variables:
        call = _call(var)
        if call is not None and has_roles(var, [INPUT]):
            for source in _sources(var, boxes, ids):
                arrows.append((source, ids[id(call)], getattr(var.tag, "name", None) or str(var.name)))
        elif call is not None and has_roles(var, [OUTPUT]):  # calls nested inside this one feed its output
            arrows += [(source, ids[id(call)], "") for source in _sources(var, boxes, ids, inside=call)
                       if source != ids[id(call)]]
    for i, out in enumerate(graph.outputs):
        boxes[f"output:{i}"] = (f"output {out.name or i}", "")
        arrows += [(source, f"output:{i}", "") for source in _sources(out, boxes, ids, start_at_self=True)]
    return _without_dead_ends(boxes, sorted(set(arrows)))


def _call(var: Variable) -> Any:
    """The application call ``var`` is an input or output of; None for plain variables and for
    ``initial_states`` (the default initial state a recurrent ``apply`` asks for, an inner detail)."""
    call = getattr(var.tag, "application_call", None)
    return None if call is None or getattr(var.tag, "application", None) == "initial_states" else call


def _without_dead_ends(boxes: dict, arrows: list) -> BrickDiagram:
    """Drop the calls whose outputs reach no other call (such as ``initial_states``, read inside a scan)."""
    while True:
        feeding = {a for a, _, _ in arrows}
        dead = [box for box in boxes if box not in feeding and not box.startswith("output:")]
        if not dead:
            return BrickDiagram(boxes, arrows)
        boxes = {k: v for k, v in boxes.items() if k not in dead}
        arrows = [arrow for arrow in arrows if arrow[1] not in dead]


def _sources(var: Variable, boxes: dict, ids: dict, start_at_self: bool = False, inside: Any = None) -> list[str]:
    """The boxes whose outputs reach ``var`` through plain ops (graph inputs get boxes of their own).

    With ``inside`` (a call), the walk stops at that call's inputs: it finds the calls nested in it.
    """
    found, seen = [], set()
    stack = [var] if start_at_self else list(var.owner.inputs if var.owner else [])
    while stack:
        current = stack.pop()
        if id(current) in seen or isinstance(current, (Constant, SharedVariable)):
            continue
        seen.add(id(current))
        call = _call(current)
        if inside is not None and call is inside and has_roles(current, [INPUT]):
            continue
        if call is not None and has_roles(current, [OUTPUT]):
            found.append(ids[id(call)])
        elif current.owner is None and inside is None:
            boxes.setdefault(f"input:{current.name}", (f"input {current.name}", ""))
            found.append(f"input:{current.name}")
        elif current.owner is not None:
            stack.extend(current.owner.inputs)
    return found


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
