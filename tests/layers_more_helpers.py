"""Helpers for the tests of the layers added for Keras coverage: gradients of a Keras 3 (JAX)
layer and of an ember layer for the same loss, a config round-trip, and a save in this process
followed by a load in a fresh one."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np

import ember as em


def keras_grads(layer, x, r):
    """d sum(layer(x) * r) / d(trainable weights, x) of a built Keras layer, by JAX."""
    import jax
    import jax.numpy as jnp

    trainable = [v.value for v in layer.trainable_variables]
    frozen = [v.value for v in layer.non_trainable_variables]

    def loss(tv, inp):
        y, _ = layer.stateless_call(tv, frozen, inp)
        return jnp.sum(y * r)

    gw, gx = jax.grad(loss, argnums=(0, 1))(trainable, jnp.asarray(x))
    return [np.asarray(g) for g in gw], np.asarray(gx)


def ember_grads(layer, x, r):
    """The same gradients of a built ember layer (weights first, then the input's)."""
    xt = em.tensor(np.asarray(x), requires_grad=True)
    for v in layer.trainable_weights:
        v.grad = None
    (layer(xt) * em.tensor(r)).sum().backward()
    grads = [np.asarray(v.grad.data if hasattr(v.grad, "data") else v.grad)
             for v in layer.trainable_weights]
    return grads, np.asarray(xt.grad.data if hasattr(xt.grad, "data") else xt.grad)


def same_grads_as_keras(ember_layer, keras_layer, x, rtol=1e-4, atol=1e-5, seed=0):
    """Both layers built with the same weights: their weight and input gradients agree."""
    out = np.asarray(keras_layer(x))
    r = np.random.default_rng(seed).standard_normal(out.shape).astype("float32")
    kw, kx = keras_grads(keras_layer, x, r)
    ew, ex = ember_grads(ember_layer, x, r)
    assert len(kw) == len(ew)
    for a, b in zip(ew, kw):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    np.testing.assert_allclose(ex, kx, rtol=rtol, atol=atol)


def config_round_trip(layer, x):
    """from_config(get_config()) rebuilds a layer that computes the same (weights copied)."""
    want = layer(em.tensor(x)).numpy()
    again = type(layer).from_config(layer.get_config())
    again(em.tensor(x))
    again.set_weights(layer.get_weights())
    np.testing.assert_allclose(again(em.tensor(x)).numpy(), want, rtol=1e-6, atol=1e-7)
    assert again.get_config() == layer.get_config()


_LOAD = textwrap.dedent("""
    import sys
    import numpy as np
    import ember as em
    model = em.models.load_model(sys.argv[1])
    x = np.load(sys.argv[2])
    np.save(sys.argv[3], np.asarray(model.predict(x, verbose=0)))
""")


def fresh_process_load(model, x, tmp_path, suffix=".ember"):
    """Save ``model``, load it in a new Python process, and compare its predictions on x."""
    path, xs, out = (str(tmp_path / f"m{suffix}"), str(tmp_path / "x.npy"),
                     str(tmp_path / "y.npy"))
    model.save(path)
    np.save(xs, x)
    env = dict(os.environ)
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-c", _LOAD, path, xs, out], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    np.testing.assert_allclose(np.load(out), model.predict(x, verbose=0), rtol=1e-6,
                               atol=1e-7)
