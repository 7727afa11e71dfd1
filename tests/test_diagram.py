"""Brick-level diagrams: application calls, data flow and sizes, as DOT and as a PNG."""

import pytest

from brickwork import tensor
from brickwork.bricks import MLP, Tanh
from brickwork.graph.diagram import brick_diagram
from brickwork.models import Classifier


def test_mlp_diagram_follows_the_data_through_every_brick():
    mlp = MLP([Tanh(), None], [3, 4, 2], name="mlp")
    x = tensor.matrix("x")
    diagram = brick_diagram(mlp.apply(x))
    calls = {box for box in diagram.boxes if not box.startswith(("input:", "output:"))}
    assert {"/mlp.apply", "/mlp/linear_0.apply", "/mlp/linear_1.apply"} <= calls
    assert ("/mlp/linear_0.apply", "/mlp/tanh.apply", "input_") in diagram.arrows or any(
        a == "/mlp/linear_0.apply" and "tanh" in b for a, b, _ in diagram.arrows)
    assert ("input:x", "/mlp.apply", "input_") in diagram.arrows
    dot = diagram.to_dot()
    assert dot.startswith("digraph bricks {") and 'Linear(3 => 4)' in dot and 'subgraph "cluster_/mlp"' in dot


def test_model_diagram_shows_both_directions_and_renders(tmp_path):
    pytest.importorskip("matplotlib")
    model = Classifier([("embed", 10, 4), ("bilstm", 3), 2])
    diagram = model.diagram()
    assert ("/bilstm_1_forward.apply", "/dense_2.apply", "input_") in diagram.arrows
    assert ("/bilstm_1_backward.apply", "/dense_2.apply", "input_") in diagram.arrows
    assert ("input:mask", "/bilstm_1_forward.apply", "mask") in diagram.arrows
    assert [row for row in diagram.layers()][0] == ["input:x", "input:mask"] or set(diagram.layers()[0]) == {
        "input:x", "input:mask"}
    path = tmp_path / "bricks.png"
    diagram.save_png(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
