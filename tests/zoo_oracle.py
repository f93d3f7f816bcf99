"""Helpers for the layer-zoo tests: run a Keras 3 layer (JAX backend, in this process) and an
ember layer on the same input with the same weights, and check an ember layer's weight and
input gradients against central differences in float64."""

from __future__ import annotations

import os

import numpy as np
import pytest

import ember as em

os.environ.setdefault("KERAS_BACKEND", "jax")


def keras():
    """Keras 3 on JAX, or skip the test."""
    pytest.importorskip("jax")
    k = pytest.importorskip("keras")
    if k.backend.backend() != "jax":
        pytest.skip(f"Keras runs on {k.backend.backend()} here; these tests compare with JAX")
    return k


def same_as_keras(ember_layer, keras_layer, inputs, atol=1e-5, rtol=1e-5, call=None,
                  **call_kwargs):
    """Build both layers on ``inputs``, copy Keras' weights into ember's (checking the
    shapes agree), and compare the outputs. Returns (ember output, keras output)."""
    call = call or (lambda layer, x, **kw: layer(x, **kw))
    want = call(keras_layer, inputs, **call_kwargs)
    ember_in = [em.tensor(np.asarray(x)) for x in inputs] if isinstance(inputs, list) \
        else em.tensor(np.asarray(inputs))
    call(ember_layer, ember_in, **call_kwargs)  # builds
    kw = [np.asarray(w) for w in keras_layer.get_weights()]
    assert [w.shape for w in kw] == [tuple(w.shape) for w in ember_layer.get_weights()], \
        "the weight layouts differ from Keras'"
    ember_layer.set_weights(kw)
    got = call(ember_layer, ember_in, **call_kwargs)
    wants = want if isinstance(want, (list, tuple)) else [want]
    gots = got if isinstance(got, (list, tuple)) else [got]
    assert len(wants) == len(gots)
    for g, w in zip(gots, wants):
        np.testing.assert_allclose(g.numpy(), np.asarray(w), atol=atol, rtol=rtol)
    return got, want


def check_gradients(fn, layer, inputs, eps=1e-6, atol=1e-6, rtol=1e-5, seed=0):
    """Autograd vs central differences of ``sum(fn(x) * r)`` (r random) for every float64
    input and every weight of ``layer`` (built, float64). ``fn`` takes Tensors."""
    rng = np.random.default_rng(seed)
    xs = [em.tensor(np.asarray(x, dtype="float64"), requires_grad=True) for x in inputs]
    out = fn(*xs)
    r = rng.standard_normal(out.shape)
    loss = (out * em.tensor(r)).sum()
    for v in layer.weights:
        v.grad = None
    loss.backward()
    params = [(x.data, x.grad) for x in xs] + [(v.data, v.grad) for v in layer.trainable_weights]
    for data, grad in params:
        assert grad is not None
        g = grad.data if hasattr(grad, "data") else grad
        numeric = np.zeros_like(data)
        flat, nflat = data.reshape(-1), numeric.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            up = float((fn(*[em.tensor(x.data) for x in xs]).numpy() * r).sum())
            flat[i] = old - eps
            down = float((fn(*[em.tensor(x.data) for x in xs]).numpy() * r).sum())
            flat[i] = old
            nflat[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(np.asarray(g), numeric, atol=atol, rtol=rtol)


class float64:
    """``with float64():`` layers made inside use float64 weights."""

    def __enter__(self):
        em.set_floatx("float64")

    def __exit__(self, *exc):
        em.set_floatx("float32")
