"""Elementwise ops against PyTorch and finite differences (one line per case)."""

import numpy as np
import pytest

import ember as em
from oracle import check_op, make_inputs, non_contiguous

BROADCAST = [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 1, 4), (3, 1)], [(1,), (5,)], [(), (2, 3)],
             [(0, 3), (3,)]]


@pytest.mark.parametrize("shapes", BROADCAST)
@pytest.mark.parametrize("fn", [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b],
                         ids=["add", "sub", "mul"])
def test_arithmetic(fn, shapes):
    check_op(fn, shapes)


@pytest.mark.parametrize("shapes", BROADCAST)
def test_div(shapes):
    check_op(lambda a, b: a / b, shapes, positive=True)


def test_pow_both_differentiable():
    check_op(lambda a, b: a ** b, [(3, 4), (3, 4)], positive=True)


def test_pow_scalar_exponent():
    check_op(lambda a: a ** 3, [(5,)])


UNARY = {
    "exp": (lambda x: x.exp(), {}), "log": (lambda x: x.log(), {"positive": True}),
    "sqrt": (lambda x: x.sqrt(), {"positive": True}), "sin": (lambda x: x.sin(), {}),
    "cos": (lambda x: x.cos(), {}), "tan": (lambda x: x.tan(), {"low": -1, "high": 1}),
    "tanh": (lambda x: x.tanh(), {}), "sigmoid": (lambda x: x.sigmoid(), {}),
    "relu": (lambda x: x.relu(), {"away_from": 0.0}),
    "abs": (lambda x: x.abs(), {"away_from": 0.0}), "neg": (lambda x: -x, {}),
    "square": (lambda x: x.square(), {}),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", [(3, 4), (), (0, 2)])
def test_unary(name, shape):
    fn, kw = UNARY[name]
    check_op(fn, [shape], **kw)


def test_unary_on_non_contiguous_input():
    a = non_contiguous(make_inputs([(4, 5)])[0])
    assert not a.flags.c_contiguous
    check_op(lambda x: x.exp() * x, inputs=[a])


def test_float32_stays_float32_with_python_and_numpy_scalars():
    x = em.ones(3)
    for y in (x * 2.0, x * np.float64(2), x + np.array(1.0), 2.0 ** x, x / 3):
        assert y.dtype == np.float32

