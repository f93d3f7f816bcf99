"""Attention, AdditiveAttention and MultiHeadAttention against Keras 3 (same weights, same
outputs and scores, masks) and finite differences."""

import numpy as np
import pytest

import ember as em
from zoo_oracle import check_gradients, float64, keras, same_as_keras

rng = np.random.default_rng(0)
Q = rng.standard_normal((2, 4, 6)).astype("float32")
V = rng.standard_normal((2, 5, 6)).astype("float32")
K = rng.standard_normal((2, 5, 6)).astype("float32")


@pytest.mark.parametrize("name,kwargs", [
    ("Attention", {}), ("Attention", {"use_scale": True}),
    ("Attention", {"score_mode": "concat", "use_scale": True}), ("AdditiveAttention", {}),
    ("AdditiveAttention", {"use_scale": False})])
@pytest.mark.parametrize("causal", [False, True])
def test_dense_attention_same_as_keras(name, kwargs, causal):
    k = keras()
    same_as_keras(getattr(em.layers, name)(**kwargs), getattr(k.layers, name)(**kwargs),
                  [Q, V, K], return_attention_scores=True, use_causal_mask=causal)


def test_dense_attention_masks_same_as_keras():
    k = keras()
    q_mask = np.array([[1, 1, 0, 1], [1, 1, 1, 1]], bool)
    v_mask = np.array([[1, 0, 1, 1, 0], [1, 1, 1, 1, 1]], bool)
    for name in ("Attention", "AdditiveAttention"):
        want = k.layers.__dict__[name]()
        ours = getattr(em.layers, name)()
        w_out = want([Q, V], mask=[q_mask, v_mask])
        ours([em.tensor(Q), em.tensor(V)])
        ours.set_weights([np.asarray(w) for w in want.get_weights()])
        got = ours([em.tensor(Q), em.tensor(V)], mask=[q_mask, v_mask])
        np.testing.assert_allclose(got.numpy(), np.asarray(w_out), atol=1e-5)


@pytest.mark.parametrize("kwargs", [
    {"num_heads": 2, "key_dim": 3}, {"num_heads": 3, "key_dim": 2, "value_dim": 4},
    {"num_heads": 2, "key_dim": 3, "output_shape": 7}, {"num_heads": 1, "key_dim": 4,
                                                        "use_bias": False}])
@pytest.mark.parametrize("causal", [False, True])
def test_mha_same_as_keras(kwargs, causal):
    k = keras()
    ours = em.layers.MultiHeadAttention(**kwargs)
    theirs = k.layers.MultiHeadAttention(**kwargs)

    def call(layer, x, **kw):
        return layer(x[0], x[1], key=x[2], **kw)

    (out, scores), _ = same_as_keras(ours, theirs, [Q, V, K], call=call,
                                     return_attention_scores=True, use_causal_mask=causal)
    assert scores.shape == (2, kwargs["num_heads"], 4, 5)
    assert ours.query_dense.kernel.shape == (6, kwargs["num_heads"], kwargs["key_dim"])


def test_mha_attention_mask_and_padding_masks_same_as_keras():
    k = keras()
    am = rng.random((2, 4, 5)) > 0.3
    am[0, 1] = False  # a query attending to nothing: zero probabilities, as Keras
    theirs = k.layers.MultiHeadAttention(2, 3)
    want, want_s = theirs(Q, V, attention_mask=am, return_attention_scores=True)
    ours = em.layers.MultiHeadAttention(2, 3)
    ours(em.tensor(Q), em.tensor(V))
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    got, got_s = ours(em.tensor(Q), em.tensor(V), attention_mask=am,
                      return_attention_scores=True)
    np.testing.assert_allclose(got.numpy(), np.asarray(want), atol=1e-5)
    np.testing.assert_allclose(got_s.numpy(), np.asarray(want_s), atol=1e-6)
    # padding masks from Embedding(mask_zero=True) on the query and the value
    tokens = np.array([[3, 4, 0, 0], [1, 2, 3, 0]])
    kin = k.Input((4,), dtype="int32")
    kemb = k.layers.Embedding(6, 6, mask_zero=True)
    kmha = k.layers.MultiHeadAttention(2, 3)
    e = kemb(kin)
    kmodel = k.Model(kin, kmha(e, e))
    ein = em.Input((4,), dtype="int64")
    eemb = em.layers.Embedding(6, 6, mask_zero=True)
    emha = em.layers.MultiHeadAttention(2, 3)
    e2 = eemb(ein)
    emodel = em.Model(ein, emha(e2, e2))
    emodel.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    got, want = emodel.predict(tokens, verbose=0), np.asarray(kmodel.predict(tokens, verbose=0))
    # Rows of padded queries attend to nothing: Keras' explicit path (with scores) gives 0
    # there, as ember does; its fused JAX kernel (without scores) averages every value, so
    # only the real rows are compared here.
    real = tokens != 0
    np.testing.assert_allclose(got[real], want[real], atol=1e-5)
    assert not got[~real].any()


def test_mha_weights_in_keras_order_and_config_keys():
    k = keras()
    ours = em.layers.MultiHeadAttention(2, 3, value_dim=4)
    theirs = k.layers.MultiHeadAttention(2, 3, value_dim=4)
    ours(em.tensor(Q), em.tensor(V))
    theirs(Q, V, return_attention_scores=True)  # (its fused path rejects value_dim != key_dim)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    cfg, kcfg = ours.get_config(), theirs.get_config()
    for key in ("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "output_shape",
                "attention_axes", "seed"):
        want = list(kcfg[key]) if isinstance(kcfg[key], tuple) else kcfg[key]
        assert cfg[key] == want, key
    again = em.layers.MultiHeadAttention.from_config(cfg)
    assert again.get_config() == {**cfg, "name": again.name}


def test_gradients_by_finite_differences():
    with float64():
        q, v = Q[:, :3, :4].astype("float64"), V[:, :3, :4].astype("float64")
        mha = em.layers.MultiHeadAttention(2, 2, value_dim=3)
        mha(em.tensor(q), em.tensor(v))
        check_gradients(lambda a, b: mha(a, b, use_causal_mask=True), mha, [q, v])
        for layer in (em.layers.Attention(use_scale=True),
                      em.layers.Attention(score_mode="concat", use_scale=True),
                      em.layers.AdditiveAttention()):
            layer([em.tensor(q), em.tensor(v)])
            check_gradients(lambda a, b, layer=layer: layer([a, b]), layer, [q, v])


def test_functional_with_positional_value_trains_and_saves(tmp_path):
    inp = em.Input((4, 6))
    out, scores = em.layers.MultiHeadAttention(2, 3)(inp, inp, return_attention_scores=True)
    att = em.layers.Attention()([inp, out])
    model = em.Model(inp, em.layers.Dense(1)(em.layers.Flatten()(
        em.layers.Concatenate()([att, em.layers.Reshape((4, 8))(scores)]))))
    model.compile("adam", "mse")
    model.fit(Q, np.zeros((2, 1), "float32"), epochs=2, verbose=0)
    path = str(tmp_path / "m.ember")
    model.save(path)
    again = em.models.load_model(path)
    np.testing.assert_allclose(again.predict(Q, verbose=0), model.predict(Q, verbose=0))

    class Block(em.Model):
        def __init__(self):
            super().__init__()
            self.mha = em.layers.MultiHeadAttention(2, 3)
            self.norm = em.layers.LayerNormalization()

        def call(self, x):
            return self.norm(x + self.mha(x, x))

    sub = Block()
    sub.compile("adam", "mse")
    sub.fit(Q, np.zeros_like(Q), epochs=1, verbose=0)
    assert sub.predict(Q, verbose=0).shape == Q.shape


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="Attention layer must be called on a list"):
        em.layers.Attention()(em.tensor(Q))
    with pytest.raises(ValueError, match="num_heads"):
        em.layers.MultiHeadAttention(0, 3)
    with pytest.raises(ValueError, match="pass the value"):
        em.layers.MultiHeadAttention(2, 3)(em.tensor(Q))
