"""RMSNormalization, EinsumDense, InputSpec, Wrapper and Pipeline against Keras 3 (JAX):
values with copied weights, weight and input gradients, one SGD fit step, central
differences in float64, signatures, configs and a fresh-process load."""

import inspect

import numpy as np
import pytest

import ember as em
from layers_more_helpers import config_round_trip, fresh_process_load, same_grads_as_keras
from zoo_oracle import check_gradients, float64, keras, same_as_keras

L = em.layers
rng = np.random.default_rng(0)
X3 = rng.standard_normal((2, 5, 6)).astype("float32")
X2 = np.ascontiguousarray(X3[:, 0])


def _signature_as_keras(name, skip=()):
    ours, theirs = inspect.signature(getattr(L, name)), \
        inspect.signature(getattr(keras().layers, name))
    for p in theirs.parameters.values():
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) or p.name in ("self", *skip):
            continue
        assert p.name in ours.parameters, p.name
        assert ours.parameters[p.name].default == p.default, p.name


# ----------------------------------------------------------------------------- RMSNormalization
@pytest.mark.parametrize("kw,x", [({}, X3), ({"axis": [1, 2]}, X3), ({"epsilon": 1e-2}, X2),
                                  ({"axis": -1, "epsilon": 0.5}, X3 * 1e-2)])
def test_rms_normalization_same_as_keras(kw, x):
    ours, theirs = L.RMSNormalization(**kw), keras().layers.RMSNormalization(**kw)
    theirs(x)
    theirs.set_weights([rng.standard_normal(theirs.scale.shape).astype("float32")])
    same_as_keras(ours, theirs, x, atol=1e-6)
    same_grads_as_keras(ours, theirs, x)
    assert ours.get_config()["axis"] == theirs.get_config()["axis"]
    assert ours.get_config()["epsilon"] == theirs.get_config()["epsilon"]


def test_rms_normalization_gradients_and_config():
    _signature_as_keras("RMSNormalization")
    with float64():
        layer = L.RMSNormalization(axis=[1, 2])
        x = X3[:, :3, :4].astype("float64")
        layer(em.tensor(x))
        layer.set_weights([rng.standard_normal((3, 4))])
        check_gradients(layer, layer, [x], atol=1e-6)
    config_round_trip(L.RMSNormalization(axis=[1, 2], epsilon=1e-3), X3)
    with pytest.raises(ValueError, match="RMSNormalization"):
        L.RMSNormalization(axis=3)(em.ones((2, 3)))
    with pytest.raises(ValueError, match="RMSNormalization: axis"):
        L.RMSNormalization(axis="last")


# ----------------------------------------------------------------------------- EinsumDense
EINSUM = [("ab,bc->ac", 4, None, X2), ("ab,bc->ac", 4, "c", X2),
          ("abc,cd->abd", (5, 4), "d", X3), ("abc,cd->abd", (None, 3), None, X3),
          ("abc,cde->abde", (5, 2, 4), "de", X3), ("abc,cde->abde", (None, 2, 4), "e", X3),
          ("...b,bc->...c", 4, "c", X3), ("abc,cd->abd", (5, 4), "d", X3)]


@pytest.mark.parametrize("equation,output_shape,bias_axes,x", EINSUM)
def test_einsum_dense_same_as_keras(equation, output_shape, bias_axes, x):
    k = keras()
    kw = dict(bias_axes=bias_axes, activation="tanh", bias_initializer="glorot_uniform")
    ours = L.EinsumDense(equation, output_shape, **kw)
    theirs = k.layers.EinsumDense(equation, output_shape, **kw)
    got, want = same_as_keras(ours, theirs, x, atol=1e-6)
    assert ours.compute_output_shape(x.shape) == np.asarray(want).shape
    same_grads_as_keras(ours, theirs, x)


def test_einsum_dense_initial_scale_uses_keras_fans():
    """glorot_uniform on kernel (64, 8, 16) of "abc,cde->abde": fan_in 64, fan_out 128."""
    layer = L.EinsumDense("abc,cde->abde", (None, 8, 16))
    layer(em.ones((1, 2, 64)))
    limit = np.sqrt(6 / (64 + 128))
    w = layer.kernel.numpy()
    assert np.abs(w).max() <= limit
    np.testing.assert_allclose(w.std(), limit / np.sqrt(3), rtol=0.05)


def test_einsum_dense_one_fit_step_as_keras():
    k = keras()
    y = rng.standard_normal((2, 5, 2, 3)).astype("float32")
    theirs = k.Sequential([k.Input((5, 6)), k.layers.EinsumDense(
        "abc,cde->abde", (None, 2, 3), bias_axes="de", activation="relu")])
    ours = em.Sequential([em.Input((5, 6)), L.EinsumDense(
        "abc,cde->abde", (None, 2, 3), bias_axes="de", activation="relu")])
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    theirs.compile(k.optimizers.SGD(0.1), "mse")
    ours.compile(em.optimizers.SGD(0.1), "mse")
    theirs.fit(X3, y, batch_size=2, epochs=1, verbose=0, shuffle=False)
    ours.fit(X3, y, batch_size=2, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def test_einsum_dense_gradients_config_and_errors():
    _signature_as_keras("EinsumDense", skip=("gptq_unpacked_column_size",
                                             "quantization_config"))
    with float64():
        layer = L.EinsumDense("abc,cde->abde", (None, 2, 2), bias_axes="de",
                              bias_initializer="glorot_uniform", activation="tanh")
        x = X3[:, :2, :3].astype("float64")
        layer(em.tensor(x))
        check_gradients(layer, layer, [x], atol=1e-6)
    k = keras()
    ours = L.EinsumDense("abc,cd->abd", (None, 3), bias_axes="d").get_config()
    theirs = k.layers.EinsumDense("abc,cd->abd", (None, 3), bias_axes="d").get_config()
    for key in ("equation", "bias_axes"):
        assert ours[key] == theirs[key]
    assert ours["output_shape"] == list(theirs["output_shape"])
    config_round_trip(L.EinsumDense("abc,cde->abde", (5, 2, 4), bias_axes="e",
                                    activation="relu"), X3)
    with pytest.raises(ValueError, match="EinsumDense .*invalid einsum equation"):
        L.EinsumDense("ab->b", 3)(em.ones((2, 3)))
    with pytest.raises(ValueError, match="bias axis 'z'"):
        L.EinsumDense("ab,bc->ac", 3, bias_axes="z")(em.ones((2, 3)))
    with pytest.raises(ValueError, match="input and output sizes differ"):
        L.EinsumDense("abc,cd->abd", (4, 3))(em.ones((2, 5, 3)))


# ----------------------------------------------------------------------------- InputSpec
def test_input_spec_fields_as_keras():
    k = keras()
    ours, theirs = inspect.signature(L.InputSpec), inspect.signature(k.layers.InputSpec)
    assert [(p.name, p.default) for p in ours.parameters.values()] == \
        [(p.name, p.default) for p in theirs.parameters.values() if p.name != "self"]
    for kw in [dict(ndim=3), dict(shape=(None, 4), dtype="float32"),
               dict(min_ndim=2, axes={-1: 4}), dict(max_ndim=4, axes={1: 3})]:
        mine, keras_spec = L.InputSpec(**kw), k.layers.InputSpec(**kw)
        assert mine.get_config() == keras_spec.get_config()
        assert repr(mine) == repr(keras_spec)
        assert L.InputSpec.from_config(mine.get_config()).get_config() == mine.get_config()


def test_a_layer_with_an_input_spec_checks_its_inputs():
    class Square(L.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = L.InputSpec(ndim=2, axes={-1: 3})

        def call(self, x):
            return x * x

    layer = Square(name="square")
    assert layer(em.ones((4, 3))).shape == (4, 3)
    with pytest.raises(ValueError, match="layer 'square'.*expected ndim=2, found ndim=3"):
        layer(em.ones((4, 3, 1)))
    with pytest.raises(ValueError, match="expected axis -1 of the input shape to have value 3"):
        layer(em.ones((4, 5)))
    spec = L.InputSpec(shape=(None, 2), dtype="int64")
    with pytest.raises(ValueError, match="expected dtype=int64"):
        em.layers.input_spec.assert_input_compatibility(spec, em.ones((1, 2)), "x")
    with pytest.raises(ValueError, match=r"expected shape=\(None, 2\)"):
        em.layers.input_spec.assert_input_compatibility(
            spec, em.tensor(np.ones((1, 3), "int64")), "x")


# ----------------------------------------------------------------------------- Wrapper
def test_wrapper_is_the_base_of_the_wrappers():
    assert issubclass(L.TimeDistributed, L.Wrapper)
    assert issubclass(L.Bidirectional, L.Wrapper)
    assert issubclass(keras().layers.TimeDistributed, keras().layers.Wrapper)
    _signature_as_keras("Wrapper")

    class Twice(L.Wrapper):
        def call(self, x):
            return self.layer(self.layer(x))

    em.serialization.register()(Twice)
    layer = Twice(L.Dense(3, name="inner"))
    out = layer(em.tensor(X2[:, :3]))
    want = layer.layer(layer.layer(em.tensor(X2[:, :3])))
    np.testing.assert_allclose(out.numpy(), want.numpy())
    assert [w.shape for w in layer.get_weights()] == [(3, 3), (3,)]
    config_round_trip(layer, X2[:, :3])
    with pytest.raises(ValueError, match="Twice: wrap a Layer instance"):
        Twice("dense")
    bi = L.Bidirectional(L.LSTM(2))
    bi(em.tensor(X3))
    assert len(bi.get_weights()) == 6  # forward + backward only, no copy of the original


# ----------------------------------------------------------------------------- Pipeline
def test_pipeline_same_as_keras():
    k = keras()
    _signature_as_keras("Pipeline")
    img = rng.uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    ours = L.Pipeline([L.Rescaling(1 / 255.0, offset=-0.5), L.Flatten(), L.Dense(2)])
    theirs = k.layers.Pipeline([k.layers.Rescaling(1 / 255.0, offset=-0.5), k.layers.Flatten(),
                                k.layers.Dense(2)])
    same_as_keras(ours, theirs, img, atol=1e-5)
    assert [x.name for x in ours.layers] == [x.name for x in ours._pipeline_layers]
    assert set(ours.get_config()) == set(theirs.get_config()) == {"layers", "name"}


def test_pipeline_runs_training_mode_in_a_data_map_and_inside_a_model(tmp_path):
    flip = L.Pipeline([L.RandomFlip("horizontal", seed=1), L.Rescaling(2.0)])
    img = np.arange(2 * 4 * 4 * 1, dtype="float32").reshape(2, 4, 4, 1)
    # as in Keras, it calls its layers with training=True by default: augmentations run
    outs = [flip(em.tensor(img)).numpy() for _ in range(8)]
    assert any(not np.array_equal(o, img * 2) for o in outs)
    np.testing.assert_array_equal(flip(em.tensor(img), training=False).numpy(), img * 2)
    ds = em.data.Dataset.from_tensor_slices((img, np.zeros((2, 1), "float32"))).batch(2)
    mapped = ds.map(lambda x, y: (L.Pipeline([L.Rescaling(0.5)])(x), y))
    (x, _), = list(mapped)
    np.testing.assert_allclose(np.asarray(getattr(x, "numpy", lambda: x)()), img * 0.5)
    inp = em.Input((4, 4, 1))
    prep = L.Pipeline([L.Rescaling(1 / 16.0), L.Conv2D(2, 3), L.Flatten()], name="prep")
    model = em.Model(inp, L.Dense(1)(prep(inp)))
    model.compile("adam", "mse")
    model.fit(img, np.ones((2, 1), "float32"), epochs=2, verbose=0)
    assert len(model.get_weights()) == 4
    fresh_process_load(model, img, tmp_path)
    with pytest.raises(ValueError, match="Pipeline: layers must be a list"):
        L.Pipeline(L.Dense(2))


def test_model_with_the_new_weighted_layers_loads_in_a_fresh_process(tmp_path):
    inp = em.Input((5, 6))
    y = L.EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de")(inp)
    y = L.Reshape((5, 6))(y)
    y = L.RMSNormalization(axis=[1, 2])(y)
    y = L.TimeDistributed(L.Dense(2))(y)
    model = em.Model(inp, L.EinsumDense("abc,cd->ad", 1, bias_axes="d")(y))
    model.compile("adam", "mse")
    model.fit(X3, np.zeros((2, 1), "float32"), epochs=2, verbose=0)
    fresh_process_load(model, X3, tmp_path)


# ---------------------------------------------------------------------- SpectralNormalization
@pytest.mark.parametrize("make,x", [
    (lambda L_: L_.SpectralNormalization(L_.Dense(3, bias_initializer="glorot_uniform"),
                                         power_iterations=2), X2),
    (lambda L_: L_.SpectralNormalization(L_.Conv2D(2, 3, padding="same")),
     rng.standard_normal((2, 5, 5, 3)).astype("float32"))])
def test_spectral_normalization_same_as_keras(make, x):
    k = keras()
    ours, theirs = make(L), make(k.layers)
    same_as_keras(ours, theirs, x, atol=1e-6)
    # a training call runs the layer on kernel / sigma and updates u as Keras (Keras' eager
    # call also overwrites the kernel with kernel / sigma; ember, as Keras' fit on JAX, not)
    want = np.asarray(theirs(x, training=True))
    np.testing.assert_allclose(ours(em.tensor(x), training=True).numpy(), want, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(ours.vector_u.numpy(), np.asarray(theirs.vector_u), rtol=1e-5,
                               atol=1e-6)
    sigma_kernel = ours.normalized_weights()[1]
    np.testing.assert_allclose(ours.kernel.numpy() / sigma_kernel,
                               np.full(sigma_kernel.shape, (ours.kernel.numpy() /
                                                            sigma_kernel).flat[0]), rtol=1e-5)


def test_spectral_normalization_gradient_fit_and_config(tmp_path):
    k = keras()
    _signature_as_keras("SpectralNormalization")
    ours = L.SpectralNormalization(L.Dense(3))
    theirs = k.layers.SpectralNormalization(k.layers.Dense(3))
    theirs(X2)
    m_k = k.Sequential([k.Input((6,)), theirs])
    m_e = em.Sequential([em.Input((6,)), ours])
    m_e.set_weights([np.asarray(w) for w in m_k.get_weights()])
    y = rng.standard_normal((2, 3)).astype("float32")
    m_k.compile(k.optimizers.SGD(0.1), "mse")
    m_e.compile(em.optimizers.SGD(0.1), "mse")
    m_k.fit(X2, y, batch_size=2, epochs=2, verbose=0, shuffle=False)
    m_e.fit(X2, y, batch_size=2, epochs=2, verbose=0, shuffle=False)
    for a, b in zip(m_e.get_weights(), m_k.get_weights()):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    config = ours.get_config()
    assert config["power_iterations"] == theirs.get_config()["power_iterations"]
    config_round_trip(L.SpectralNormalization(L.Dense(2), power_iterations=3), X2)
    fresh_process_load(m_e, X2, tmp_path)
    # an Embedding's table is normalized (Keras casts the output to the input's dtype, so
    # for integer token ids it returns zeros; ember returns the embeddings)
    emb = L.SpectralNormalization(L.Embedding(10, 4))
    emb(em.tensor(np.array([[1, 2]])), training=True)
    assert emb.kernel is emb.layer.embeddings
    with pytest.raises(ValueError, match="no attribute 'kernel' nor 'embeddings'"):
        L.SpectralNormalization(L.Flatten())(em.tensor(X2))
    with pytest.raises(ValueError, match="power_iterations"):
        L.SpectralNormalization(L.Dense(2), power_iterations=0)
