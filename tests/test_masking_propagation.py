"""Padding masks flow through models as in Keras 3: ``compute_mask`` runs when the graph is
built, its result rides on the symbolic output (``_keras_mask``), a layer whose ``call``
takes ``mask`` receives it (symbolically and in predict / evaluate / fit), and a layer that
does not support masking drops it. Every case is one piece of code run on ember and on Keras
(JAX) with ember's weights copied in; predictions, losses and trained weights must agree."""

from __future__ import annotations

import textwrap
import warnings

import numpy as np
import pytest

import ember as em
from keras_oracle import run_keras

# Custom layers the cases share, written once for both libraries.
LAYERS = '''
class Act(keras.layers.Layer):  # the guide's MyActivation: passes the mask on
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return keras.ops.relu(inputs)


class MaskedMean(keras.layers.Layer):  # takes the mask in call, ends it
    def call(self, inputs, mask=None):
        assert mask is not None, "MaskedMean got no mask"
        m = keras.ops.expand_dims(keras.ops.cast(mask, inputs.dtype), -1)
        return keras.ops.sum(inputs * m, axis=1) / keras.ops.sum(m, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None


class NonZero(keras.layers.Layer):  # makes a mask from its inputs (supports_masking implied)
    def call(self, inputs):
        return inputs * 2.0

    def compute_mask(self, inputs, mask=None):
        return keras.ops.any(keras.ops.not_equal(inputs, 0.0), axis=-1)


class Plain(keras.layers.Layer):  # no masking support: the mask stops here
    def call(self, inputs):
        return inputs + 1.0
'''

_RNN_CHAIN = '''
inputs = keras.Input(shape=(None,), dtype="int32")
e = keras.layers.Embedding(30, 6, mask_zero=True)(inputs)
h = keras.layers.{rnn}(5, return_sequences=True)(e)
d = keras.layers.Dense(4)(h)
a = Act()(d)
o = keras.layers.{rnn}(3)(a)
model = keras.Model(inputs, keras.layers.Dense(2)(o))
tensors = {{"e": e, "h": h, "d": d, "a": a, "o": o}}
x = IDS
'''

CASES = {
    **{f"functional_{rnn}": _RNN_CHAIN.format(rnn=rnn) for rnn in ("LSTM", "GRU", "SimpleRNN")},
    "masking_timedistributed_maskedmean": '''
inputs = keras.Input(shape=(7, 3))
m = keras.layers.Masking(0.0)(inputs)
h = keras.layers.LSTM(4, return_sequences=True)(m)
t = keras.layers.TimeDistributed(keras.layers.Dense(2))(h)
model = keras.Model(inputs, MaskedMean()(t))
tensors = {"m": m, "h": h, "t": t}
x = FLOATS
''',
    "custom_compute_mask": '''
inputs = keras.Input(shape=(7, 3))
n = NonZero()(inputs)
g = keras.layers.GRU(3)(n)
model = keras.Model(inputs, keras.layers.Dense(1)(g))
tensors = {"n": n, "g": g}
x = FLOATS
''',
    "bidirectional": '''
inputs = keras.Input(shape=(None,), dtype="int32")
e = keras.layers.Embedding(30, 4, mask_zero=True)(inputs)
b1 = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True))(e)
b2 = keras.layers.Bidirectional(keras.layers.GRU(2))(b1)
model = keras.Model(inputs, keras.layers.Dense(1)(b2))
tensors = {"e": e, "b1": b1, "b2": b2}
x = IDS
''',
    "global_average_pooling": '''
inputs = keras.Input(shape=(None,), dtype="int32")
e = keras.layers.Embedding(30, 4, mask_zero=True)(inputs)
d = keras.layers.Dense(3)(e)
p = keras.layers.GlobalAveragePooling1D()(d)
model = keras.Model(inputs, keras.layers.Dense(1)(p))
tensors = {"d": d, "p": p}
x = IDS
''',
    "dropped_by_plain_layer": '''
inputs = keras.Input(shape=(None,), dtype="int32")
e = keras.layers.Embedding(30, 4, mask_zero=True)(inputs)
p = Plain()(e)
o = keras.layers.LSTM(3)(p)
model = keras.Model(inputs, o)
tensors = {"e": e, "p": p}
x = IDS
''',
    "sequential": '''
model = keras.Sequential([
    keras.Input(shape=(None,), dtype="int32"),
    keras.layers.Embedding(30, 4, mask_zero=True),
    keras.layers.SimpleRNN(4, return_sequences=True),
    keras.layers.Dense(3),
    Act(),
    keras.layers.LSTM(2),
])
tensors = {}
x = IDS
''',
    "subclassed": '''
class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.emb = keras.layers.Embedding(30, 4, mask_zero=True)
        self.rnn = keras.layers.GRU(3, return_sequences=True)
        self.pool = MaskedMean()
        self.out = keras.layers.Dense(2)

    def call(self, inputs):
        return self.out(self.pool(self.rnn(self.emb(inputs))))

model = Net()
x = IDS
model(x)
tensors = {}
''',
}

# After the weights are copied: evaluate, one full-batch SGD step, evaluate again.
TRAIN = '''
model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
y = np.linspace(-1, 1, 2 * len(x), dtype="float32").reshape(len(x), 2)
res = [model.evaluate(x, y, verbose=0)]
model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
res.append(model.evaluate(x, y, verbose=0))
trained = model.get_weights()
'''


def _data() -> dict:
    rng = np.random.default_rng(3)
    ids = rng.integers(1, 30, size=(5, 8)).astype("int32")
    ids[0, 3:] = 0   # post padding
    ids[1, :2] = 0   # pre padding
    ids[2, 4] = 0    # a hole
    floats = rng.standard_normal((5, 7, 3)).astype("float32")
    floats[0, 4:] = 0.0
    floats[3, :3] = 0.0
    return {"IDS": ids, "FLOATS": floats}


def _source(case: str) -> str:
    return LAYERS + CASES[case]


def _run_ember(case: str, data: dict, train: bool = False) -> dict:
    ns = {"keras": em.keras, "np": np, **data}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(_source(case), case, "exec"), ns)  # noqa: S102 - the case's own code
    model = ns["model"]
    out = {"weights": model.get_weights(), "pred": np.asarray(model.predict(ns["x"], verbose=0)),
           "masks": {k: _mask_shape(t) for k, t in ns["tensors"].items()},
           "warnings": [str(w.message) for w in caught]}
    if train:
        exec(TRAIN, ns)  # noqa: S102
        out["res"], out["trained"] = ns["res"], ns["trained"]
    return out


def _mask_shape(t) -> str:
    m = t._keras_mask
    return "None" if m is None else str(tuple(m.shape))


_KERAS = '''
import json, warnings
keras.utils.set_random_seed(0)
w = np.load(WEIGHTS, allow_pickle=True)
data = {"IDS": w["IDS"], "FLOATS": w["FLOATS"]}
shapes = {}
for case, code in CASES.items():
    ns = {"keras": keras, "np": np, **data}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(code, ns)
    model = ns["model"]
    model.set_weights(list(w[case]))
    out[case] = model.predict(ns["x"], verbose=0)
    shapes[case] = {k: "None" if getattr(t, "_keras_mask", None) is None
                    else str(tuple(t._keras_mask.shape)) for k, t in ns["tensors"].items()}
    shapes[case]["_dropped"] = any("destroy the mask" in str(c.message) for c in caught)
    if case in TRAINED:
        exec(TRAIN, ns)
        out[case + ":res"] = np.asarray(ns["res"])
        for i, v in enumerate(ns["trained"]):
            out[case + ":w" + str(i)] = v
out["shapes"] = json.dumps(shapes)
'''
TRAINED = ("functional_LSTM", "masking_timedistributed_maskedmean", "sequential")


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> tuple:
    """Every case on ember, then on Keras with ember's initial weights."""
    pytest.importorskip("keras")
    tmp = tmp_path_factory.mktemp("masks")
    data = _data()
    ember = {c: _run_ember(c, data, train=c in TRAINED) for c in CASES}
    arrays = {**data}
    for c, r in ember.items():
        arrays[c] = np.empty(len(r["weights"]), dtype=object)
        arrays[c][:] = [np.asarray(v) for v in r["weights"]]
    np.savez(tmp / "weights.npz", **arrays)
    code = (f"WEIGHTS = {str(tmp / 'weights.npz')!r}\n"
            f"CASES = {({c: _source(c) for c in CASES})!r}\nTRAIN = {TRAIN!r}\n"
            f"TRAINED = {TRAINED!r}\n" + _KERAS)
    keras = run_keras(textwrap.dedent(code), tmp)
    import json

    return ember, keras, json.loads(str(keras["shapes"]))


@pytest.mark.parametrize("case", list(CASES))
def test_predictions_match_keras(compared, case):
    ember, keras, _ = compared
    np.testing.assert_allclose(ember[case]["pred"], keras[case], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", [c for c in CASES if c not in ("sequential", "subclassed")])
def test_symbolic_masks_match_keras(compared, case):
    ember, _, shapes = compared
    expected = {k: v for k, v in shapes[case].items() if k != "_dropped"}
    assert ember[case]["masks"] == expected
    dropped = any("destroy the mask" in w for w in ember[case]["warnings"])
    assert dropped == shapes[case]["_dropped"]


@pytest.mark.parametrize("case", TRAINED)
def test_evaluate_and_fit_match_keras(compared, case):
    ember, keras, _ = compared
    np.testing.assert_allclose(ember[case]["res"], keras[case + ":res"], rtol=1e-5, atol=1e-6)
    assert ember[case]["res"][1] < ember[case]["res"][0]  # the step lowered the loss
    for i, v in enumerate(ember[case]["trained"]):
        np.testing.assert_allclose(v, keras[f"{case}:w{i}"], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- ember only
def test_mask_matters():
    """The masked model differs from the same weights without a mask (the test has teeth)."""
    data = _data()
    masked = _run_ember("functional_LSTM", data)
    ns = {"keras": em.keras, "np": np, **data}
    exec(compile(_source("functional_LSTM").replace("mask_zero=True", "mask_zero=False"),
                 "unmasked", "exec"), ns)  # noqa: S102
    ns["model"].set_weights(masked["weights"])
    plain = np.asarray(ns["model"].predict(ns["x"], verbose=0))
    assert np.abs(plain[:3] - masked["pred"][:3]).max() > 1e-3  # the padded rows differ
    np.testing.assert_allclose(plain[3:], masked["pred"][3:], rtol=1e-6)  # the full rows not


def test_call_with_mask_sees_it_while_the_graph_is_built():
    seen = []

    class Probe(em.layers.Layer):
        supports_masking = True

        def call(self, inputs, mask=None):
            seen.append(None if mask is None else tuple(np.shape(mask)))
            return inputs

    inputs = em.Input(shape=(None,), dtype="int32")
    x = em.layers.Embedding(10, 3, mask_zero=True)(inputs)
    y = Probe()(x)
    assert seen and seen[-1] is not None and y._keras_mask.shape == (None, None)
    model = em.Model(inputs, y)
    seen.clear()
    model.predict(np.array([[1, 2, 0]]), verbose=0)
    assert seen == [(1, 3)]


def test_explicit_mask_of_the_input_is_not_a_graph_edge():
    inputs = em.Input(shape=(None,), dtype="int32")
    x = em.layers.Embedding(10, 3, mask_zero=True)(inputs)
    lstm = em.layers.LSTM(2)
    explicit = em.Model(inputs, lstm(x, mask=x._keras_mask))
    implicit = em.Model(inputs, lstm(x))
    ids = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
    np.testing.assert_array_equal(explicit.predict(ids, verbose=0),
                                  implicit.predict(ids, verbose=0))
    other = em.layers.Embedding(10, 3, mask_zero=True)(em.Input(shape=(None,), dtype="int32"))
    with pytest.raises(ValueError, match="padding mask of another symbolic tensor"):
        em.layers.LSTM(2)(x, mask=other._keras_mask)


def test_compute_mask_override_implies_supports_masking():
    class Own(em.layers.Layer):
        def compute_mask(self, inputs, previous_mask=None):
            return previous_mask

    class Says(Own):
        supports_masking = False

    assert Own().supports_masking and not Says().supports_masking
    assert not em.layers.Layer().supports_masking


def test_masked_model_config_round_trip():
    data = _data()
    r = _run_ember("masking_timedistributed_maskedmean", data)
    ns = {"keras": em.keras, "np": np, **data}
    exec(compile(_source("masking_timedistributed_maskedmean"), "case", "exec"), ns)  # noqa: S102
    model = ns["model"]
    model.set_weights(r["weights"])
    custom = {k: ns[k] for k in ("MaskedMean",)}
    clone = em.Model.from_config(model.get_config(), custom_objects=custom)
    clone.set_weights(r["weights"])
    np.testing.assert_allclose(clone.predict(data["FLOATS"], verbose=0), r["pred"], rtol=1e-6)


def test_a_compute_mask_that_splits_the_steps_in_a_graph():
    """The guide's TemporalSplit in a functional graph: both halves carry their masks."""

    class TemporalSplit(em.layers.Layer):
        def call(self, inputs):
            return em.keras.ops.split(inputs, 2, axis=1)

        def compute_mask(self, inputs, mask=None):
            return None if mask is None else em.keras.ops.split(mask, 2, axis=1)

        def compute_output_shape(self, s):
            return [(s[0], None if s[1] is None else s[1] // 2, s[2])] * 2

    inputs = em.Input(shape=(None,), dtype="int32")
    emb = em.layers.Embedding(10, 3, mask_zero=True)
    first, second = TemporalSplit()(emb(inputs))
    assert first._keras_mask.shape == second._keras_mask.shape == (None, None)
    lstm = em.layers.LSTM(2)
    model = em.Model(inputs, lstm(first))
    ids = np.array([[1, 2, 0, 0], [1, 0, 3, 4]])
    halves = em.Model(inputs, lstm(emb(inputs)))  # the same weights on the first half alone
    np.testing.assert_allclose(model.predict(ids, verbose=0),
                               halves.predict(ids[:, :2], verbose=0), rtol=1e-6)
