"""The scan package's seams: its buffer pool, its named signature, and its place
in the import graph (tensor/ <- graph/ <- scan/, never the other way)."""

import ast
import pathlib

import numpy as np

from brickwork import function, tensor
from brickwork.scan.pool import BufferPool
from brickwork.scan.signature import ScanInputs, Signature

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "brickwork"


def test_a_free_pooled_buffer_is_reused():
    pool = BufferPool()
    first = pool.take("h", (3, 2), np.dtype("float64"))
    memory = first.__array_interface__["data"][0]
    del first
    again = pool.take("h", (3, 2), np.dtype("float64"))
    assert again.__array_interface__["data"][0] == memory


def test_a_buffer_seen_through_any_view_is_not_reused():
    pool = BufferPool()
    first = pool.take("h", (4, 2), np.dtype("float64"))
    first[...] = 1.0
    view = first[1:, ::-1].T.reshape(-1)  # a view of a view: it still refers to ``first``
    del first
    second = pool.take("h", (4, 2), np.dtype("float64"))
    second[...] = 2.0
    np.testing.assert_array_equal(view, 1.0)
    del view, second
    assert pool.take("h", (4, 2), np.dtype("float64")) is not None


def test_a_buffer_of_another_shape_or_dtype_is_new():
    pool = BufferPool()
    first = pool.take("h", (3, 2), np.dtype("float64"))
    memory = first.__array_interface__["data"][0]
    del first
    assert pool.take("h", (3, 2), np.dtype("float32")).dtype == np.float32
    other = pool.take("h", (5, 2), np.dtype("float32"))
    assert other.shape == (5, 2) and other.__array_interface__["data"][0] != memory


def test_results_returned_twice_stay_apart():
    # the caller keeps the first result: the second call must write elsewhere
    x = tensor.tensor3("x", dtype="float64")
    h0 = tensor.matrix("h0", dtype="float64")
    f = function([x, h0], tensor.scan(lambda x_t, h: tensor.tanh(x_t + h), sequences=[x], states=[h0])[0])
    one, two = np.ones((3, 2, 2)), np.full((3, 2, 2), 2.0)
    first = f(one, np.zeros((2, 2)))
    kept = first.copy()
    f(two, np.zeros((2, 2)))
    np.testing.assert_array_equal(first, kept)


def test_the_signature_names_the_parts_of_a_node():
    signature = Signature(n_sequences=2, n_states=1, n_free=3, n_outputs=2, history=True)
    inputs = signature.inputs(["n", "x", "y", "h", "a", "b", "c"])
    assert inputs == ScanInputs("n", ["x", "y"], ["h"], ["a", "b", "c"])
    assert signature.join_inputs(inputs) == ["n", "x", "y", "h", "a", "b", "c"]
    outputs = signature.outputs(["h_t", "o_t", "h_history"])
    assert outputs.step == ["h_t", "o_t"] and outputs.histories == ["h_history"]
    assert signature.new_states(outputs.step) == ["h_t"] and signature.is_state(0) and not signature.is_state(1)


def _imported_packages(package: str) -> dict[str, set[str]]:
    """For each module of ``brickwork.<package>``, the brickwork packages it imports (at any depth)."""
    found = {}
    for path in (PACKAGE / package).glob("*.py"):
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:  # from ..graph import x, from .. import scan
                targets.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("brickwork."):
                targets.add(node.module.split(".")[1])
        found[path.name] = targets
    return found


def test_the_packages_import_one_way():
    for module, imported in _imported_packages("tensor").items():
        assert not imported & {"graph", "scan"}, f"tensor/{module} imports {imported & {'graph', 'scan'}}"
    for module, imported in _imported_packages("graph").items():
        assert "scan" not in imported, f"graph/{module} imports the scan package"
