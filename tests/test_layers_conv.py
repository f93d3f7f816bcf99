"""Convolution, pooling, upsampling and padding layers against PyTorch (weights copied across,
NHWC <-> NCHW) and finite differences; errors that name the layer and the fix."""

import numpy as np
import pytest

import ember as em

L = em.layers
torch = pytest.importorskip("torch")
F = torch.nn.functional


def _run(layer, x, grad_weights=True):
    """ember output, input gradient and weight gradients for sum(out * w)."""
    xt = em.tensor(x, requires_grad=True)
    out = layer(xt)
    w = np.random.default_rng(1).standard_normal(out.shape).astype(np.float32)
    (out * em.tensor(w)).sum().backward()
    grads = [v.grad.numpy() for v in layer.trainable_weights] if grad_weights else []
    return out.numpy(), xt.grad.numpy(), grads, w


@pytest.mark.parametrize("strides,padding,dilation", [(1, "valid", 1), (2, "same", 1),
                                                      (1, "same", 2), (2, "valid", 1)])
def test_conv2d_matches_torch(strides, padding, dilation):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 9, 8, 3)).astype(np.float32)
    layer = L.Conv2D(4, (3, 2), strides=strides, padding=padding, dilation_rate=dilation,
                     activation="relu")
    out, gx, (gk, gb), w = _run(layer, x)
    kernel, bias = layer.get_weights()
    xt = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    kt = torch.tensor(kernel.transpose(3, 2, 0, 1), requires_grad=True)
    bt = torch.tensor(bias, requires_grad=True)
    if padding == "same":  # TensorFlow's "same": the odd extra pad goes bottom/right
        h, wd = x.shape[1:3]
        pads = []
        for size, k, s in ((wd, 2, strides), (h, 3, strides)):
            keff = (k - 1) * dilation + 1
            total = max((-(-size // s) - 1) * s + keff - size, 0)
            pads += [total // 2, total - total // 2]
        xin = F.pad(xt, pads)
    else:
        xin = xt
    ref = torch.relu(F.conv2d(xin, kt, bt, stride=strides, dilation=dilation))
    ref_nhwc = ref.permute(0, 2, 3, 1)
    np.testing.assert_allclose(out, ref_nhwc.detach().numpy(), rtol=1e-4, atol=1e-5)
    (ref_nhwc * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(gx, xt.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gk, kt.grad.numpy().transpose(2, 3, 1, 0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gb, bt.grad.numpy(), rtol=1e-4, atol=1e-4)
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + out.shape[1:]


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
def test_conv1d_matches_torch(padding):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 10, 3)).astype(np.float32)
    layer = L.Conv1D(5, 3, padding=padding)
    out, gx, (gk, gb), w = _run(layer, x)
    kernel, bias = layer.get_weights()
    xt = torch.tensor(x.transpose(0, 2, 1), requires_grad=True)
    kt = torch.tensor(kernel.transpose(2, 1, 0), requires_grad=True)
    pads = {"valid": (0, 0), "same": (1, 1), "causal": (2, 0)}[padding]
    ref = F.conv1d(F.pad(xt, pads), kt, torch.tensor(bias)).permute(0, 2, 1)
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-4, atol=1e-5)
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(gx, xt.grad.numpy().transpose(0, 2, 1), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gk, kt.grad.numpy().transpose(2, 1, 0), rtol=1e-4, atol=1e-4)


def test_conv2d_transpose_matches_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 4, 3)).astype(np.float32)
    layer = L.Conv2DTranspose(2, 3, strides=2)
    out, gx, (gk, gb), w = _run(layer, x)
    kernel, bias = layer.get_weights()  # (kh, kw, out, in)
    xt = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    kt = torch.tensor(kernel.transpose(3, 2, 0, 1), requires_grad=True)  # (in, out, kh, kw)
    ref = F.conv_transpose2d(xt, kt, torch.tensor(bias), stride=2).permute(0, 2, 3, 1)
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-4, atol=1e-5)
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(gx, xt.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-4, atol=1e-4)
    assert layer.compute_output_shape((None, 4, 4, 3)) == (None,) + out.shape[1:]


@pytest.mark.parametrize("cls,fn", [(L.MaxPooling2D, F.max_pool2d), (L.AveragePooling2D,
                                                                     F.avg_pool2d)])
def test_pooling_2d_matches_torch(cls, fn):
    x = np.random.default_rng(0).standard_normal((2, 7, 6, 3)).astype(np.float32)
    layer = cls(pool_size=2)
    out, gx, _, w = _run(layer, x, grad_weights=False)
    xt = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    ref = fn(xt, 2).permute(0, 2, 3, 1)
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(gx, xt.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-5, atol=1e-6)
    assert out.shape == (2, 3, 3, 3)


def test_max_pooling_1d_and_global_pools():
    x = np.random.default_rng(0).standard_normal((2, 6, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(L.GlobalAveragePooling2D()(x).numpy(), x.mean(axis=(1, 2)),
                               rtol=1e-6)
    np.testing.assert_allclose(L.GlobalMaxPooling2D()(x).numpy(), x.max(axis=(1, 2)))
    assert L.GlobalAveragePooling2D(keepdims=True)(x).shape == (2, 1, 1, 3)
    seq = x[:, :, 0, :]
    np.testing.assert_allclose(L.MaxPooling1D(2)(seq).numpy(),
                               seq.reshape(2, 3, 2, 3).max(axis=2))
    np.testing.assert_allclose(L.GlobalAveragePooling1D()(seq).numpy(), seq.mean(axis=1),
                               rtol=1e-6)


def test_upsampling_and_zero_padding():
    x = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2)
    up = L.UpSampling2D((2, 3))(x).numpy()
    np.testing.assert_array_equal(up, x.repeat(2, axis=1).repeat(3, axis=2))
    padded = L.ZeroPadding2D(((1, 0), (2, 1)))(x).numpy()
    assert padded.shape == (1, 3, 5, 2) and padded[0, 1, 2, 0] == x[0, 0, 0, 0]
    assert padded[0, 0].sum() == 0


def test_conv_gradcheck_float64():
    em.set_floatx("float64")
    layer = L.Conv2D(2, 2, strides=(1, 2), padding="same")
    x = np.random.default_rng(0).standard_normal((1, 4, 5, 2))
    layer(x)
    em.gradcheck(lambda inp: layer(inp), [x])
    em.gradcheck(lambda inp, k, b: em.ops.conv.conv2d(inp, k, b, (1, 2), "same"),
                 [x, layer.kernel.numpy(), layer.bias.numpy()])


def test_clear_errors_name_the_layer():
    conv = L.Conv2D(8, 3, name="conv2d_1")
    with pytest.raises(ValueError, match=r"Conv2D 'conv2d_1' expects \(batch, height, width, "
                                         r"channels\); got \(32, 28, 28\) — add a channels axis"):
        conv(np.zeros((32, 28, 28), np.float32))
    conv(np.zeros((1, 8, 8, 3), np.float32))
    with pytest.raises(ValueError, match="built for inputs with 3 channels; got 1"):
        conv(np.zeros((1, 8, 8, 1), np.float32))
    with pytest.raises(ValueError, match="kernel spans 5 along height but the input has only 4"):
        L.Conv2D(2, 5)(np.zeros((1, 4, 9, 1), np.float32))
    with pytest.raises(ValueError, match="padding must be one of"):
        L.Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError, match="channels_last"):
        L.MaxPooling2D(data_format="channels_first")


def test_convnet_config_round_trip():
    model = em.Sequential([L.Conv2D(4, 3, padding="same", input_shape=(8, 8, 1)),
                           L.MaxPooling2D(), L.UpSampling2D(), L.ZeroPadding2D(1),
                           L.GlobalAveragePooling2D(), L.Dense(2)])
    clone = em.Sequential.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).random((2, 8, 8, 1)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), clone.predict(x, verbose=0))
