"""ONNX export: onnx.checker passes and onnxruntime's outputs equal ember's, per layer kind
and for the three MNIST networks, with a dynamic batch axis."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import ember as em  # noqa: E402

TOL = 2e-5
L = em.layers


def _run(model, xs, tmp_path):
    path = str(tmp_path / "m.onnx")
    model.export(path)
    onnx.checker.check_model(onnx.load(path))
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feeds = {i.name: x for i, x in zip(sess.get_inputs(), xs)}
    return sess.run(None, feeds)[0]


def _check(model, xs, tmp_path, tol=TOL):
    want = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    got = _run(model, xs, tmp_path)
    assert got.shape == want.shape
    assert np.abs(got - want).max() < tol
    half = [x[: len(x) // 2] for x in xs]  # another batch size: the batch axis is dynamic
    assert _run(model, half, tmp_path).shape[0] == len(half[0])


RNG = np.random.default_rng(0)
IMG = RNG.standard_normal((4, 9, 9, 3)).astype("float32")
SEQ = RNG.standard_normal((4, 10, 3)).astype("float32")
VEC = RNG.standard_normal((4, 6)).astype("float32")

LAYERS = {
    "dense_relu": ((6,), [L.Dense(5, activation="relu")], VEC),
    "activations": ((6,), [L.Dense(5, activation=a) for a in (
        "sigmoid", "tanh", "elu", "selu", "softplus", "softsign", "swish", "gelu",
        "leaky_relu", "hard_sigmoid", "exponential", "linear", "softmax")], VEC),
    "conv2d_valid_strided": ((9, 9, 3), [L.Conv2D(4, 3, strides=2, activation="relu")], IMG),
    "conv2d_same_dilated": ((9, 9, 3), [L.Conv2D(4, 3, padding="same",
                                                 dilation_rate=2)], IMG),
    "conv1d": ((10, 3), [L.Conv1D(4, 3, padding="same", activation="tanh")], SEQ),
    "pooling2d": ((9, 9, 3), [L.MaxPooling2D(2), L.AveragePooling2D(2, padding="same")], IMG),
    "pooling1d": ((10, 3), [L.MaxPooling1D(2), L.AveragePooling1D(2)], SEQ),
    "global_pooling": ((9, 9, 3), [L.Conv2D(4, 1), L.GlobalAveragePooling2D()], IMG),
    "global_max_1d": ((10, 3), [L.GlobalMaxPooling1D()], SEQ),
    "batch_norm": ((9, 9, 3), [L.BatchNormalization()], IMG),
    "layer_norm": ((10, 3), [L.LayerNormalization()], SEQ),
    "dropout_flatten": ((9, 9, 3), [L.Dropout(0.5), L.Flatten(), L.Dense(2)], IMG),
    "reshape_permute": ((10, 3), [L.Reshape((5, 6)), L.Permute((2, 1))], SEQ),
    "rescaling": ((6,), [L.Rescaling(0.5, offset=-1.0)], VEC),
    "simple_rnn": ((10, 3), [L.SimpleRNN(4, return_sequences=True), L.SimpleRNN(3)], SEQ),
    "lstm": ((10, 3), [L.LSTM(4, return_sequences=True), L.LSTM(3)], SEQ),
    "gru": ((10, 3), [L.GRU(4, return_sequences=True), L.GRU(3)], SEQ),
    "gru_reset_before": ((10, 3), [L.GRU(4, reset_after=False)], SEQ),
    "conv2d_transpose_valid": ((9, 9, 3), [L.Conv2DTranspose(4, 3, strides=2)], IMG),
    "conv2d_transpose_same": ((9, 9, 3), [L.Conv2DTranspose(4, 3, strides=2, padding="same",
                                                            activation="relu")], IMG),
    "conv2d_transpose_small_kernel": ((9, 9, 3), [L.Conv2DTranspose(2, 2, strides=3)], IMG),
    "conv2d_transpose_output_padding": ((9, 9, 3), [L.Conv2DTranspose(
        3, 3, strides=2, padding="same", output_padding=1, use_bias=False)], IMG),
    "depthwise": ((9, 9, 3), [L.DepthwiseConv2D(3, depth_multiplier=2, activation="relu")],
                  IMG),
    "depthwise_same_strided": ((9, 9, 3), [L.DepthwiseConv2D(3, strides=2, padding="same",
                                                             use_bias=False)], IMG),
    "depthwise_dilated": ((9, 9, 3), [L.DepthwiseConv2D(3, padding="same", dilation_rate=2)],
                          IMG),
    "zero_padding": ((9, 9, 3), [L.ZeroPadding2D(((1, 2), (0, 3)))], IMG),
    "zero_padding1d": ((10, 3), [L.ZeroPadding1D((2, 1))], SEQ),
    "upsampling2d": ((9, 9, 3), [L.UpSampling2D((2, 3))], IMG),
    "upsampling2d_bilinear": ((9, 9, 3), [L.UpSampling2D(2, interpolation="bilinear")], IMG),
    "upsampling1d": ((10, 3), [L.UpSampling1D(3)], SEQ),
    "bidirectional_concat": ((10, 3), [L.Bidirectional(L.LSTM(4, return_sequences=True)),
                                       L.Bidirectional(L.GRU(3))], SEQ),
    "bidirectional_modes": ((10, 3), [L.Bidirectional(L.SimpleRNN(4, return_sequences=True),
                                                      merge_mode="sum"),
                                      L.Bidirectional(L.LSTM(3, return_sequences=True),
                                                      merge_mode="mul"),
                                      L.Bidirectional(L.GRU(2), merge_mode="ave")], SEQ),
    "lstm_go_backwards": ((10, 3), [L.LSTM(4, go_backwards=True)], SEQ),
    "relu_layer": ((6,), [L.Dense(5), L.ReLU()], VEC),
    "relu_layer_options": ((6,), [L.Dense(5), L.ReLU(max_value=0.5, negative_slope=0.1,
                                                    threshold=-0.2)], VEC),
    "leaky_relu_layer": ((6,), [L.Dense(5), L.LeakyReLU(negative_slope=0.2)], VEC),
    "elu_layer": ((6,), [L.Dense(5), L.ELU(alpha=0.7)], VEC),
    "prelu_layer": ((9, 9, 3), [L.Conv2D(4, 3), L.PReLU(alpha_initializer="random_uniform",
                                                        shared_axes=[1, 2])], IMG),
    "softmax_layer": ((10, 3), [L.Dense(4), L.Softmax(axis=1)], SEQ),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_kinds(name, tmp_path):
    shape, layers, x = LAYERS[name]
    model = em.Sequential([em.Input(shape)] + layers)
    for w in model.weights:  # batch-norm statistics away from 0 / 1
        if "moving" in w.path:
            w.data[...] = RNG.uniform(0.5, 1.5, w.shape)
    _check(model, [x], tmp_path)


def test_functional_merges_and_embedding(tmp_path):
    a, b = em.Input((6,), name="a"), em.Input((6,), name="b")
    tok = em.Input((5,), name="tok", dtype="int64")
    h = L.Dense(4)(a)
    g = L.Dense(4)(b)
    merged = [L.Add()([h, g]), L.Subtract()([h, g]), L.Multiply()([h, g]),
              L.Average()([h, g]), L.Maximum()([h, g]), L.Minimum()([h, g])]
    e = L.Flatten()(L.Embedding(11, 2)(tok))
    out = L.Dense(3, activation="softmax")(L.Concatenate()(merged + [e]))
    model = em.Model([a, b, tok], out)
    xs = [VEC, VEC[::-1].copy(), RNG.integers(0, 11, (4, 5)).astype("int64")]
    _check(model, xs, tmp_path)


def test_mnist_networks(tmp_path):
    x = RNG.random((8, 28, 28), dtype=np.float32)
    dense = em.Sequential([L.Flatten(input_shape=(28, 28)), L.Dense(128, activation="relu"),
                           L.Dense(10, activation="softmax")])
    _check(dense, [x], tmp_path)
    conv = em.Sequential([
        em.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(), L.Dropout(0.5),
        L.Dense(10, activation="softmax")])
    _check(conv, [x[..., None]], tmp_path)
    lstm = em.Sequential([em.Input((28, 28)), L.LSTM(32), L.Dense(10, activation="softmax")])
    _check(lstm, [x], tmp_path)


def test_unsupported_layer_is_named(tmp_path):
    model = em.Sequential([em.Input((4, 3)), L.Lambda(lambda x: x * 2, name="my_fn")])
    with pytest.raises(NotImplementedError, match="'my_fn' is a Lambda, which has no ONNX"):
        model.export(str(tmp_path / "m.onnx"))
    assert not (tmp_path / "m.onnx").exists()
    model = em.Sequential([em.Input((4, 3)), L.Bidirectional(L.LSTM(2), merge_mode=None,
                                                             name="my_bi")])
    with pytest.raises(NotImplementedError, match="Bidirectional 'my_bi' with merge_mode=None"):
        model.export(str(tmp_path / "m.onnx"))


def test_a_new_layer_kind_converts_once_registered(tmp_path):
    from ember.onnx.converters import CONVERTERS, register_converter

    class Doubler(L.Layer):
        def call(self, x):
            return x * 2.0

    model = em.Sequential([em.Input((6,)), Doubler()])
    with pytest.raises(NotImplementedError, match="is a Doubler"):
        model.export(str(tmp_path / "m.onnx"))
    register_converter("Doubler", lambda ctx, layer, xs, ranks: ctx.op(
        "Mul", [xs[0], ctx.const(np.float32(2), "two")], layer.name))
    try:
        _check(model, [VEC], tmp_path)
    finally:
        del CONVERTERS["Doubler"]
