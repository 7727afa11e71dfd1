"""The op protocol: what an op declares to the compiler, checked where it is declared."""

import numpy as np
import pytest

from brickwork import function, grad, tensor
from brickwork.graph.inplace import Kernel
from brickwork.tensor.elemwise import Elemwise, Exp, Sigmoid, Where
from brickwork.tensor.op import Op
from brickwork.tensor.shape import Shape
from brickwork.tensor.walk import toposort
from brickwork.testing import check_grads

TOLERANCE = {"rtol": 1e-12, "atol": 0}  # float64, the same operations in the same order


def test_every_capability_has_a_safe_default():
    op = Op()
    assert not op.fresh_output and not op.passes_through
    assert op.perform_into is None and op.inplace_positions is None
    assert op.as_ufunc([]) is None
    node = Shape().make_node(tensor.matrix("x"))
    assert op.static_value(node, depth=0) is None
    assert op.extends is None and op.inner_outputs() == [] and op.unrolled(node, 3) is None


def test_a_scan_declares_its_inner_graph_and_the_scan_it_extends():
    x, h0 = tensor.tensor3("x", dtype="float64"), tensor.matrix("h0", dtype="float64")
    h = tensor.scan(lambda x_t, h: tensor.tanh(x_t + h), sequences=[x], states=[h0])[0]
    plain = h.owner
    assert plain.op.inner_outputs() == plain.op.step_outputs and plain.op.extends is None
    (augmented,) = {n for n in toposort([grad(h.sum(), x)]) if n.op.extends is plain.op}
    assert augmented.inputs == plain.inputs
    assert augmented.op.standing_for(augmented, plain)[0] is augmented.outputs[0]


def test_an_elemwise_kernel_must_be_a_ufunc():
    with pytest.raises(TypeError, match="Double: ufunc must be a NumPy ufunc"):
        type("Double", (Elemwise,), {"ufunc": lambda x: 2 * x})


def test_an_elemwise_with_its_own_perform_declares_how_it_writes_into_an_array():
    with pytest.raises(TypeError, match="Cube overrides perform: define its perform_into"):
        type("Cube", (Elemwise,), {"perform": lambda self, x: x ** 3})

    class Cube(Elemwise):
        perform_into = None

        def perform(self, x):
            return x ** 3

        def vjp(self, node, grads):
            return [grads[0] * 3 * node.inputs[0] ** 2]

    x = tensor.vector("x", dtype="float64")
    value = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(function([x], Cube()(x) + 1)(value), value ** 3 + 1, **TOLERANCE)
    check_grads(lambda v: Cube()(v), [value])


def test_an_elemwise_without_a_kernel_cannot_be_applied():
    with pytest.raises(TypeError, match="Abstract has no kernel"):
        type("Abstract", (Elemwise,), {})()(tensor.vector("x"))


def test_kernels_are_small_objects_naming_their_op():
    x = tensor.vector("x", dtype="float64")
    f = function([x], tensor.exp(x * 2) + 1)
    kernels = [step[0] for step in f._schedule]
    assert all(isinstance(k, Kernel) for k in kernels)
    assert [type(k.op) for k in kernels][1] is Exp
    assert any(k.position is not None for k in kernels)
    assert "into input" in repr(next(k for k in kernels if k.position is not None))


def test_the_ufunc_the_code_generator_calls_is_declared():
    x = tensor.matrix("x")
    assert Exp().as_ufunc([x.type]) is np.exp
    assert Sigmoid().as_ufunc([x.type]) is None  # its own kernel, written in place through perform_into
    assert Where().perform_into is None


def test_pick_labels_takes_one_entry_per_row_and_passes_the_gradient_back():
    scores, labels = tensor.tensor3("s", dtype="float64"), tensor.lmatrix("y")
    s = np.random.default_rng(0).standard_normal((2, 3, 4))
    y = np.array([[0, 3, 1], [2, 2, 0]])
    picked = function([scores, labels], tensor.pick_labels(scores, labels))(s, y)
    np.testing.assert_allclose(picked, np.take_along_axis(s, y[..., None], axis=-1)[..., 0], **TOLERANCE)
    g = function([scores, labels], grad(tensor.pick_labels(scores, labels).sum(), scores))(s, y)
    np.testing.assert_array_equal(g, np.eye(4)[y])
