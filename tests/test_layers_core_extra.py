"""TimeDistributed, RepeatVector, Identity, ActivityRegularization, Masking and Dot against
Keras 3 and finite differences."""

import numpy as np
import pytest

import ember as em
from zoo_oracle import check_gradients, float64, keras, same_as_keras

rng = np.random.default_rng(0)
SEQ = rng.standard_normal((2, 5, 4)).astype("float32")
IMGS = rng.standard_normal((2, 3, 6, 6, 2)).astype("float32")


@pytest.mark.parametrize("make,x", [
    (lambda L: L.TimeDistributed(L.Dense(3, activation="tanh")), SEQ),
    (lambda L: L.TimeDistributed(L.Conv2D(2, 3, padding="same")), IMGS),
    (lambda L: L.TimeDistributed(L.Flatten()), IMGS),
    (lambda L: L.RepeatVector(3), SEQ[:, 0]),
    (lambda L: L.Identity(), SEQ),
    (lambda L: L.Dot(axes=-1), [SEQ[:, 0], SEQ[:, 1]]),
    (lambda L: L.Dot(axes=(1, 1)), [SEQ, SEQ[:, :, :3]]),
    (lambda L: L.Dot(axes=[2, 2], normalize=True), [SEQ, SEQ[:, :3]]),
    (lambda L: L.Dot(axes=1, normalize=True), [SEQ[:, 0], SEQ[:, 1]]),
])
def test_same_as_keras(make, x):
    k = keras()
    ours = make(em.layers)
    got, _ = same_as_keras(ours, make(k.layers), x)
    shapes = [tuple(t.shape) for t in x] if isinstance(x, list) else tuple(x.shape)
    assert tuple(ours.compute_output_shape(shapes))[1:] == got.shape[1:]


def test_masking_feeds_an_lstm_as_keras():
    k = keras()
    x = SEQ.copy()
    x[0, 3:] = 0.0
    x[1, 1] = 0.0
    kmodel = k.Sequential([k.Input((5, 4)), k.layers.Masking(), k.layers.LSTM(3)])
    emodel = em.Sequential([em.Input((5, 4)), em.layers.Masking(), em.layers.LSTM(3)])
    emodel.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    np.testing.assert_allclose(emodel.predict(x, verbose=0), kmodel.predict(x, verbose=0),
                               atol=1e-5)
    out = em.layers.Masking(mask_value=0.0)(em.tensor(x))
    assert out._mask.tolist() == [[True, True, True, False, False],
                                  [True, False, True, True, True]]


def test_activity_regularization_loss_as_keras():
    k = keras()
    ours = em.layers.ActivityRegularization(l1=0.1, l2=0.01)
    theirs = k.layers.ActivityRegularization(l1=0.1, l2=0.01)
    np.testing.assert_array_equal(ours(em.tensor(SEQ)).numpy(), SEQ)
    theirs(SEQ)
    np.testing.assert_allclose(float(ours.losses[0].numpy()), float(theirs.losses[0]),
                               rtol=1e-5)
    cfg = ours.get_config()
    assert "activity_regularizer" not in cfg and cfg["l1"] == 0.1
    again = em.layers.ActivityRegularization.from_config(cfg)
    assert again.l2 == 0.01


def test_dot_and_time_distributed_gradients_by_finite_differences():
    with float64():
        dot = em.layers.Dot(axes=(2, 2), normalize=True)
        check_gradients(lambda a, b: dot([a, b]), dot,
                        [SEQ[:, :3].astype("float64"), SEQ[:, 1:4].astype("float64")])
        td = em.layers.TimeDistributed(em.layers.Dense(2, activation="tanh"))
        x = SEQ[:, :3].astype("float64")
        td(em.tensor(x))
        check_gradients(td, td, [x])


def test_in_models_and_saved(tmp_path):
    seq = em.Input((5, 4))
    vec = em.Input((4,))
    t = em.layers.TimeDistributed(em.layers.Dense(4))(em.layers.Masking()(seq))
    r = em.layers.RepeatVector(5)(vec)
    both = em.layers.Identity()(em.layers.ActivityRegularization(l2=0.01)(t + r))
    d = em.layers.Dot(axes=2)([both, t])
    model = em.Model([seq, vec], em.layers.Dense(1)(em.layers.Flatten()(d)))
    model.compile("adam", "mse")
    model.fit([SEQ, SEQ[:, 0]], np.zeros((2, 1), "float32"), epochs=2, verbose=0)
    path = str(tmp_path / "m.ember")
    model.save(path)
    np.testing.assert_allclose(em.models.load_model(path).predict([SEQ, SEQ[:, 0]], verbose=0),
                               model.predict([SEQ, SEQ[:, 0]], verbose=0), rtol=1e-6)
    seqm = em.Sequential([em.Input((5, 4)), em.layers.TimeDistributed(em.layers.Dense(2)),
                          em.layers.Flatten(), em.layers.Dense(4), em.layers.RepeatVector(2)])
    assert seqm.output_shape == (None, 2, 4)


def test_config_keys_match_keras():
    k = keras()
    for ours, theirs in ((em.layers.RepeatVector(3), k.layers.RepeatVector(3)),
                         (em.layers.Dot(axes=1), k.layers.Dot(axes=1)),
                         (em.layers.Masking(0.5), k.layers.Masking(0.5))):
        c, kc = ours.get_config(), theirs.get_config()
        for key in set(c) - {"name", "trainable", "dtype"}:
            assert c[key] == kc[key], key


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="TimeDistributed.*at least 3 axes"):
        em.layers.TimeDistributed(em.layers.Dense(2))(em.ones((2, 3)))
    with pytest.raises(ValueError, match="Dot.*incompatible"):
        em.layers.Dot(axes=1)([em.ones((2, 3)), em.ones((2, 4))])
    with pytest.raises(TypeError, match="RepeatVector: n"):
        em.layers.RepeatVector(0)
