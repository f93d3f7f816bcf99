"""MultiHeadAttention's ``attention_axes`` on 4-D inputs against Keras 3 (JAX): outputs,
scores, attention masks, weight and input gradients, config and a fresh-process load."""

import numpy as np
import pytest

import ember as em
from layers_more_helpers import fresh_process_load
from zoo_oracle import keras

rng = np.random.default_rng(0)
Q = rng.standard_normal((2, 3, 4, 6)).astype("float32")
V = rng.standard_normal((2, 3, 5, 6)).astype("float32")
V1 = rng.standard_normal((2, 5, 4, 6)).astype("float32")  # attention over axis 1


def _pair(axes, **kw):
    k = keras()
    theirs = k.layers.MultiHeadAttention(2, 3, attention_axes=axes,
                                         bias_initializer="glorot_uniform", **kw)
    ours = em.layers.MultiHeadAttention(2, 3, attention_axes=axes, **kw)
    return ours, theirs


@pytest.mark.parametrize("axes,value", [((1,), V1), ((2,), V), ((-2,), V), ((1, 2), V),
                                        (None, V), (1, V1)])
def test_values_and_scores_same_as_keras(axes, value):
    ours, theirs = _pair(axes, value_dim=4, output_shape=5)
    want, want_scores = theirs(Q, value, return_attention_scores=True)
    ours(em.tensor(Q), em.tensor(value))
    assert [tuple(w.shape) for w in ours.get_weights()] == \
        [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    got, scores = ours(em.tensor(Q), em.tensor(value), return_attention_scores=True)
    np.testing.assert_allclose(got.numpy(), np.asarray(want), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scores.numpy(), np.asarray(want_scores), rtol=1e-5, atol=1e-6)
    assert ours.get_config()["attention_axes"] == list(theirs.get_config()["attention_axes"])
    # an attention mask over (query attention axes, key attention axes), as Keras broadcasts it
    n = len(theirs._attention_axes)
    mask = rng.uniform(size=(2,) + np.asarray(want_scores).shape[-2 * n:]) > 0.3
    np.testing.assert_allclose(
        ours(em.tensor(Q), em.tensor(value), attention_mask=mask).numpy(),
        np.asarray(theirs(Q, value, attention_mask=mask)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("axes", [(1,), (1, 2)])
def test_gradients_same_as_keras(axes):
    import jax
    import jax.numpy as jnp

    value = V1 if axes == (1,) else V
    ours, theirs = _pair(axes)
    out = np.asarray(theirs(Q, value))
    ours(em.tensor(Q), em.tensor(value))
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    r = rng.standard_normal(out.shape).astype("float32")

    def loss(tv, q, v):
        y, _ = theirs.stateless_call(tv, [], q, v)
        return jnp.sum(y * r)

    tv = [w.value for w in theirs.trainable_variables]
    gw, gq, gv = jax.grad(loss, argnums=(0, 1, 2))(tv, jnp.asarray(Q), jnp.asarray(value))
    q, v = em.tensor(Q, requires_grad=True), em.tensor(value, requires_grad=True)
    (ours(q, v) * em.tensor(r)).sum().backward()
    for w, g in zip(ours.trainable_weights, gw):
        np.testing.assert_allclose(np.asarray(w.grad.data if hasattr(w.grad, "data")
                                              else w.grad), np.asarray(g), rtol=1e-4,
                                   atol=1e-5)
    np.testing.assert_allclose(q.grad.numpy(), np.asarray(gq), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(v.grad.numpy(), np.asarray(gv), rtol=1e-4, atol=1e-5)


def test_model_with_attention_axes_saves_and_loads_in_a_fresh_process(tmp_path):
    inp = em.Input((3, 4, 6))
    y = em.layers.MultiHeadAttention(2, 3, attention_axes=(1, 2))(inp, inp)
    model = em.Model(inp, em.layers.Dense(1)(em.layers.Flatten()(y)))
    model.compile("adam", "mse")
    model.fit(Q, np.zeros((2, 1), "float32"), epochs=1, verbose=0)
    again = em.layers.MultiHeadAttention.from_config(model.layers[1].get_config())
    assert again.get_config()["attention_axes"] == [1, 2]
    fresh_process_load(model, Q, tmp_path)


def test_bad_attention_axes_are_named():
    with pytest.raises(ValueError, match="attention_axes"):
        em.layers.MultiHeadAttention(2, 3, attention_axes="time")
    with pytest.raises(ValueError, match="attention_axes"):
        em.layers.MultiHeadAttention(2, 3, attention_axes=(3,))(em.tensor(Q), em.tensor(V))
    mha = em.layers.MultiHeadAttention(2, 3, attention_axes=(2,))
    with pytest.raises(NotImplementedError, match="use_causal_mask"):
        mha(em.tensor(Q), em.tensor(V), use_causal_mask=True)
