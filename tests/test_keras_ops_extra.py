"""keras.ops' NumPy-style names composed in ember.keras.ops (values against NumPy and
finite differences in float64), and keras.metrics.Metric with Keras 3's add_variable /
assign_add custom-metric pattern, in evaluate."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from ember.gradcheck import gradcheck
from ember.keras import ops

X = np.array([[0.5, -2.0, 1.5], [3.0, 0.25, -0.75]])

UNARY = {
    "negative": np.negative, "absolute": np.abs, "reciprocal": np.reciprocal,
    "log2": lambda a: np.log2(np.abs(a)), "log10": lambda a: np.log10(np.abs(a)),
    "sinh": np.sinh, "cosh": np.cosh, "relu6": lambda a: np.clip(a, 0, 6),
    "softsign": lambda a: a / (1 + np.abs(a)),
    "hard_sigmoid": lambda a: np.clip(a / 6 + 0.5, 0, 1),
    "swish": lambda a: a / (1 + np.exp(-a)), "ravel": np.ravel,
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops_match_numpy_and_gradcheck(name):
    x = np.abs(X) if name in ("log2", "log10") else X
    fn = getattr(ops, name)
    np.testing.assert_allclose(fn(x.astype("float32")).numpy(), UNARY[name](x), rtol=1e-5)
    if name not in ("relu6", "hard_sigmoid"):  # X holds points on their kinks
        assert gradcheck(lambda t: fn(t), [x])
    assert fn(x.astype("float32")).numpy().dtype == np.float32  # float32 stays float32


def test_binary_and_reduction_ops():
    a, b = X, X[::-1] + 5.0
    np.testing.assert_allclose(ops.multiply(a, b).numpy(), a * b)
    np.testing.assert_allclose(ops.subtract(a, b).numpy(), a - b)
    np.testing.assert_allclose(ops.divide(a, b).numpy(), a / b)
    np.testing.assert_allclose(ops.power(b, 2).numpy(), b ** 2)
    np.testing.assert_allclose(ops.amax(a, axis=1).numpy(), a.max(axis=1))
    mean, var = ops.moments(a, axes=[0])
    np.testing.assert_allclose(mean.numpy(), a.mean(0)) and np.testing.assert_allclose(
        var.numpy(), a.var(0))
    assert [t.shape for t in ops.unstack(a, axis=1)] == [(2,)] * 3
    assert ops.ndim(a) == 2 and ops.size(a) == 6
    assert ops.hstack([a, a]).shape == (2, 6) and ops.vstack([a, a]).shape == (4, 3)
    assert int(ops.count_nonzero(np.array([0, 1, 2])).numpy()) == 2
    assert ops.zeros_like(a).shape == (2, 3)  # ember's top-level names are found too


CUSTOM_METRIC = '''
class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(
            shape=(), name="ctp", initializer="zeros"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = ops.multiply(values, sample_weight)
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives.assign(0.0)
'''


def test_keras_style_custom_metric_in_evaluate():
    """The training guide's CategoricalTruePositives, as written for Keras 3 (Keras on JAX
    cannot trace its `==` on tensors, so the count is checked against NumPy's)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = rng.integers(0, 3, (40, 1))
    kernel = rng.normal(size=(3, 3)).astype("float32")
    from ember import keras

    namespace = {"keras": keras, "ops": ops}
    exec(CUSTOM_METRIC, namespace)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, use_bias=False)])
    model.layers[0].set_weights([kernel])
    metric = namespace["CategoricalTruePositives"]()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=[metric])
    ours = model.evaluate(x, y, verbose=0, batch_size=8, return_dict=True)
    expected = float(((x @ kernel).argmax(axis=1) == y[:, 0]).sum())
    assert ours["categorical_true_positives"] == expected
    metric.reset_state()
    assert float(metric.result()) == 0.0 and isinstance(metric, em.metrics.Metric)
