"""The Layer base and Variable: naming, tracking, freezing, weights I/O, config, losses,
the call protocol (training, masks, NumPy input) and the documented custom-layer path."""

import doctest
from pathlib import Path

import numpy as np
import pytest

import ember as em
from ember.layers import Layer
from ember.layers.naming import clear_session

DOCS = Path(__file__).resolve().parents[1] / "docs" / "custom_layers.md"


# ------------------------------------------------------------------ Variable
def test_variable_is_a_trainable_leaf_tensor():
    v = em.Variable(np.arange(6.0).reshape(2, 3), name="kernel", path="dense/kernel")
    assert isinstance(v, em.Tensor) and v.dtype == np.float32
    assert v.trainable and v.requires_grad and v.is_leaf
    (em.matmul(em.ones((1, 2)), v) * 2).sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), np.full((2, 3), 2.0))
    v.trainable = False
    assert not v.requires_grad and v.grad is None
    assert "dense/kernel" in repr(v)


def test_variable_assign_checks_shape_and_bumps_version():
    v = em.Variable(np.zeros((2, 2)))
    before = v._version
    v.assign(np.ones((2, 2)))
    assert v._version == before + 1 and v.numpy().sum() == 4
    with pytest.raises(ValueError, match=r"shape \(3,\).*\(2, 2\)"):
        v.assign(np.ones(3))
    snapshot = v.numpy()
    v.assign_add(np.ones((2, 2)))
    assert snapshot.sum() == 4 and v.numpy().sum() == 8  # numpy() is a copy


def test_variable_assign_after_use_breaks_backward_loudly():
    v = em.Variable([1.0, 2.0])
    y = (v * v).sum()
    v.assign([3.0, 4.0])
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_variable_from_initializer_name():
    v = em.Variable("ones", shape=(2, 3))
    assert v.shape == (2, 3) and v.numpy().sum() == 6


# ------------------------------------------------------------------ naming and kwargs
def test_names_are_keras_style_and_clear_session_resets():
    clear_session()
    names = [em.layers.Dense(1).name for _ in range(3)]
    assert names == ["dense", "dense_1", "dense_2"]
    assert em.layers.BatchNormalization().name == "batch_normalization"
    assert em.layers.Dense(1, name="head").name == "head"
    clear_session()
    assert em.layers.Dense(1).name == "dense"


def test_unknown_keyword_is_a_type_error_naming_layer_and_keyword():
    with pytest.raises(TypeError, match=r"Dense.*'unit'.*did you mean 'units'"):
        em.layers.Dense(3, unit=4)


def test_input_shape_arguments():
    assert em.layers.Dense(2, input_shape=(28, 28))._input_shape_arg == (28, 28)
    assert em.layers.Dense(2, input_dim=5)._input_shape_arg == (5,)
    assert em.layers.Dense(2, batch_input_shape=(None, 7))._input_shape_arg == (7,)
    assert em.layers.Dense(2)._input_shape_arg is None


# ------------------------------------------------------------------ tracking and weights
class Block(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = em.layers.Dense(4)
        self.norm = em.layers.BatchNormalization()
        self.heads = [em.layers.Dense(2), em.layers.Dense(1)]
        self.shared = self.first  # the same layer twice: its weights count once

    def call(self, inputs, training=None):
        h = self.norm(self.first(inputs), training=training)
        return [head(h) for head in self.heads]


def test_weights_recurse_in_order_and_deduplicate():
    block = Block()
    block(np.ones((3, 5)))
    paths = [w.path.split("/")[1] for w in block.weights]
    assert paths == ["kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance",
                     "kernel", "bias", "kernel", "bias"]
    assert len(block.trainable_weights) == 8 and len(block.non_trainable_weights) == 2
    assert block.count_params() == 5 * 4 + 4 + 4 * 4 + 4 * 2 + 2 + 4 + 1


def test_lists_filled_after_assignment_are_tracked():
    class Stack(Layer):
        def __init__(self):
            super().__init__()
            self.blocks = []
            for _ in range(3):
                self.blocks.append(em.layers.Dense(2))

        def call(self, x):
            for b in self.blocks:
                x = b(x)
            return x

    s = Stack()
    s(em.ones((1, 2)))
    assert len(s.weights) == 6


def test_freezing_propagates_and_unfreezing_keeps_state_non_trainable():
    block = Block()
    block(np.ones((3, 5)))
    block.trainable = False
    assert block.trainable_weights == [] and len(block.non_trainable_weights) == 10
    assert not any(w.requires_grad for w in block.weights)
    assert not block.first.trainable
    block.trainable = True
    assert len(block.trainable_weights) == 8
    assert not block.norm.moving_mean.requires_grad
    block.heads[0].trainable = False
    assert len(block.trainable_weights) == 6


def test_frozen_layer_gets_no_gradient():
    dense = em.layers.Dense(2)
    dense.build((None, 3))
    dense.trainable = False
    x = em.ones((4, 3), requires_grad=True)
    dense(x).sum().backward()
    assert dense.kernel.grad is None and x.grad is not None


def test_weights_created_while_frozen_stay_frozen_until_unfrozen():
    dense = em.layers.Dense(2, trainable=False)
    dense(em.ones((1, 3)))
    assert dense.trainable_weights == [] and not dense.kernel.requires_grad
    dense.trainable = True
    assert len(dense.trainable_weights) == 2


def test_get_set_weights_round_trip_and_errors():
    a, b = em.layers.Dense(3, name="a"), em.layers.Dense(3, name="b")
    a.build((None, 4))
    b.build((None, 4))
    b.set_weights(a.get_weights())
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    with pytest.raises(ValueError, match=r"Dense 'b'.*'b/kernel'.*\(4, 3\).*\(3, 4\)"):
        b.set_weights([np.zeros((3, 4)), np.zeros(3)])
    with pytest.raises(ValueError, match="expected 2 arrays"):
        b.set_weights([np.zeros((4, 3))])
    unbuilt = em.layers.Dense(3)
    with pytest.raises(ValueError, match="not built"):
        unbuilt.set_weights([np.zeros((4, 3)), np.zeros(3)])
    with pytest.raises(ValueError, match="not built"):
        unbuilt.count_params()


# ------------------------------------------------------------------ build and call
def test_numpy_input_becomes_floatx_and_builds_with_full_shape():
    seen = {}

    class Probe(Layer):
        def build(self, input_shape):
            seen["shape"] = input_shape

        def call(self, inputs):
            seen["dtype"] = inputs.dtype
            return inputs

    p = Probe()
    p(np.ones((2, 3), dtype=np.float64))
    assert seen == {"shape": (2, 3), "dtype": np.float32} and p.built
    ints = p(np.arange(3))
    assert ints.dtype.kind == "i"


def test_training_and_mask_passed_only_when_accepted_and_training_propagates():
    calls = []

    class Inner(Layer):
        def call(self, inputs, training=None):
            calls.append(training)
            return inputs

    class Outer(Layer):
        def __init__(self):
            super().__init__()
            self.inner = Inner()

        def call(self, inputs):  # no training argument: the context carries it
            return self.inner(inputs)

    outer = Outer()
    outer(em.ones(2), training=True)
    outer(em.ones(2))
    outer(em.ones(2), training=False)
    assert calls == [True, None, False]


def test_padding_mask_follows_masking_layers_only():
    x = em.ones((2, 4, 3))
    x._mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], dtype=bool)
    received = {}

    class MaskReader(Layer):
        supports_masking = True

        def call(self, inputs, mask=None):
            received["mask"] = mask
            return inputs * 2

    y = em.layers.Dense(5)(x)
    np.testing.assert_array_equal(y._mask, x._mask)
    z = MaskReader()(y)
    assert received["mask"] is x._mask and z._mask is x._mask
    assert getattr(em.layers.Flatten()(y), "_mask", None) is None


def test_rank_and_feature_errors_are_clear():
    dense = em.layers.Dense(3)
    dense(em.ones((2, 784)))
    with pytest.raises(ValueError, match="Dense 'dense.*' was built for inputs with 784 "
                                         "features; got 100"):
        dense(em.ones((2, 100)))
    with pytest.raises(ValueError, match=r"expects at least 2 axes.*got \(784,\) — add a batch "
                                         r"axis"):
        dense(em.ones(784))

    class Conv(Layer):
        def call(self, inputs):
            self._check_rank(inputs, 4, "(batch, height, width, channels)")
            return inputs

    clear_session()
    with pytest.raises(ValueError, match=r"^Conv 'conv' expects \(batch, height, width, "
                                         r"channels\); got \(32, 28, 28\) — add a channels "
                                         r"axis, e.g. x\[\.\.\., None\]$"):
        Conv()(em.ones((32, 28, 28)))


def test_subclass_build_marks_built_and_model_style_build_does_not_recurse():
    class SelfBuilding(Layer):
        def __init__(self):
            super().__init__()
            self.dense = em.layers.Dense(2)

        def build(self, input_shape):
            self(np.zeros((1,) + tuple(input_shape[1:])))  # Model.build runs a dummy batch

        def call(self, inputs):
            return self.dense(inputs)

    layer = SelfBuilding()
    layer.build((None, 3))
    assert layer.built and layer.dense.built
    assert layer(em.ones((4, 3))).shape == (4, 2)


def test_compute_output_shape_default_probes_the_layer():
    class Double(Layer):
        def call(self, inputs):
            return em.concatenate([inputs, inputs], axis=-1)

    assert Double().compute_output_shape((None, 5, 3)) == (None, 5, 6)


def test_symbolic_inputs_take_over_the_call():
    class Symbolic:
        def __ember_layer_call__(self, layer, inputs, *args, **kwargs):
            return ("symbolic", layer.name, kwargs["training"])

    dense = em.layers.Dense(2, name="d")
    assert dense(Symbolic(), training=True) == ("symbolic", "d", True)


# ------------------------------------------------------------------ losses
def test_weight_and_activity_regularizer_losses():
    dense = em.layers.Dense(2, kernel_regularizer=em.regularizers.L2(0.1),
                            activity_regularizer=em.regularizers.L1(0.5),
                            kernel_initializer="ones")
    y = dense(em.ones((4, 3)))
    kernel_loss, activity_loss = dense.losses
    assert kernel_loss.item() == pytest.approx(0.1 * 6)
    assert activity_loss.item() == pytest.approx(0.5 * np.abs(y.numpy()).sum() / 4, rel=1e-6)
    kernel_loss.backward()
    np.testing.assert_allclose(dense.kernel.grad.numpy(), 0.2 * np.ones((3, 2)), rtol=1e-6)
    block = Block()
    block.first.kernel_regularizer = None
    block(np.ones((2, 5)))
    assert block.losses == []


# ------------------------------------------------------------------ config
def test_config_round_trip_through_serialization():
    dense = em.layers.Dense(7, activation="tanh", use_bias=False, input_shape=(4,),
                            kernel_initializer="he_normal", kernel_regularizer="l2")
    config = em.layers.serialize(dense)
    assert config["class_name"] == "Dense" and config["config"]["activation"] == "tanh"
    clone = em.layers.deserialize(config)
    assert (clone.units, clone.use_bias, clone._input_shape_arg) == (7, False, (4,))
    assert clone.get_config() == dense.get_config()


def test_custom_layer_without_get_config_is_configured_from_its_arguments():
    class Scaled(Layer):
        def __init__(self, factor, offset=0.0, **kwargs):
            super().__init__(**kwargs)
            self.factor, self.offset = factor, offset

        def call(self, inputs):
            return inputs * self.factor + self.offset

    config = Scaled(3.0, name="s").get_config()
    assert config["factor"] == 3.0 and config["offset"] == 0.0 and config["name"] == "s"
    assert Scaled.from_config(config).factor == 3.0


def test_build_config_rebuilds_unbuilt_layer():
    dense = em.layers.Dense(3)
    dense(em.ones((2, 4)))
    clone = em.layers.Dense.from_config(dense.get_config())
    clone.build_from_config(dense.get_build_config())
    assert clone.kernel.shape == (4, 3)


def test_repr_is_readable():
    assert repr(em.layers.Dense(1, name="out")) == "<Dense name=out, built=False>"


# ------------------------------------------------------------------ documentation
def test_custom_layers_doc_examples_run():
    result = doctest.testfile(str(DOCS), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 10 and result.failed == 0
