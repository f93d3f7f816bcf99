"""DepthwiseConv2D and ReLU against PyTorch (groups=channels convolution, relu6/hardtanh) and
finite differences, and against Keras' layers."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("strides,padding,dilation,mult", [
    (1, "valid", 1, 1), (2, "valid", 1, 1), (1, "same", 1, 2), (2, "same", 1, 1),
    (1, "same", 2, 1)])
def test_depthwise_matches_torch(strides, padding, dilation, mult):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 7, 8, 3)).astype("float32")
    layer = em.layers.DepthwiseConv2D(3, strides=strides, padding=padding,
                                      dilation_rate=dilation, depth_multiplier=mult)
    y = layer(em.tensor(x)).numpy()
    k = layer.depthwise_kernel.numpy()  # (kh, kw, C, M) -> (C * M, 1, kh, kw)
    w = torch.from_numpy(k.transpose(2, 3, 0, 1).reshape(3 * mult, 1, 3, 3).copy())
    xt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
    if padding == "same":
        pads = [em.layers.depthwise._same_pad(n, 3, strides, dilation) for n in (7, 8)]
        xt = torch.nn.functional.pad(xt, (*pads[1], *pads[0]))
    want = torch.nn.functional.conv2d(xt, w, stride=strides, dilation=dilation, groups=3)
    want = want.numpy().transpose(0, 2, 3, 1) + layer.bias.numpy()
    assert y.shape == want.shape == (2,) + layer.compute_output_shape((2, 7, 8, 3))[1:]
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)


def test_depthwise_and_relu_gradients_by_finite_differences():
    em.set_floatx("float64")
    try:
        layer = em.layers.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2)
        relu = em.layers.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.2)
        x = em.tensor(np.random.default_rng(1).standard_normal((1, 5, 5, 2)),
                      requires_grad=True)
        layer(x)
        assert em.gradcheck(lambda t: relu(layer(t)), [x])
    finally:
        em.set_floatx("float32")


def test_relu_matches_torch_and_keras():
    x = np.linspace(-3, 9, 49).astype("float32")
    np.testing.assert_allclose(em.layers.ReLU(6.0)(em.tensor(x)).numpy(),
                               torch.nn.functional.relu6(torch.from_numpy(x)).numpy())
    keras = pytest.importorskip("keras")
    for kw in (dict(max_value=6.0), dict(negative_slope=0.3, threshold=1.0),
               dict(max_value=2.0, negative_slope=0.1)):
        np.testing.assert_allclose(em.layers.ReLU(**kw)(em.tensor(x)).numpy(),
                                   np.asarray(keras.layers.ReLU(**kw)(x)), atol=1e-6)
