"""Lion, Lamb, Ftrl, Adafactor, ScheduleFreeAdamW, Muon, LossScaleOptimizer and MultiOptimizer
against Keras 3 itself (JAX backend, in a child process): the same variables and gradients
for several steps, then ``model.fit`` of a small Dense model from copied weights."""

import json

import numpy as np
import pytest

import ember as em
from keras_oracle import run_keras

STEPS = 5
# name -> shape; 1-D bias, 2-D kernels (tall and wide), a 3-D tensor and an "embedding" (which
# Muon hands to AdamW), plus a scalar
SHAPES = {"kernel": (4, 3), "bias": (5,), "wide": (3, 6), "cube": (2, 3, 4),
          "embedding_table": (6, 4), "scale": ()}
EXP = ["ExponentialDecay", {"initial_learning_rate": 0.02, "decay_steps": 2,
                            "decay_rate": 0.5}]
CASES = {
    "lion": ("Lion", {"learning_rate": 0.01}),
    "lion_decay_clipnorm_schedule": ("Lion", {"learning_rate": EXP, "weight_decay": 0.1,
                                              "clipnorm": 1.0, "beta_1": 0.8}),
    "lamb": ("Lamb", {"learning_rate": 0.01}),
    "lamb_decay_global_clip": ("Lamb", {"learning_rate": 0.02, "weight_decay": 0.05,
                                        "global_clipnorm": 1.0, "epsilon": 1e-3}),
    "ftrl": ("Ftrl", {"learning_rate": 0.1}),
    "ftrl_regularized": ("Ftrl", {"learning_rate": 0.1, "learning_rate_power": -0.7,
                                  "initial_accumulator_value": 0.2,
                                  "l1_regularization_strength": 0.05,
                                  "l2_regularization_strength": 0.01,
                                  "l2_shrinkage_regularization_strength": 0.02, "beta": 0.1,
                                  "weight_decay": 0.05}),
    "adafactor": ("Adafactor", {"learning_rate": 0.05}),
    "adafactor_schedule_clipvalue": ("Adafactor", {"learning_rate": EXP, "clipvalue": 0.5,
                                                   "clip_threshold": 0.5,
                                                   "relative_step": False,
                                                   "weight_decay": 0.1}),
    "sfadamw": ("ScheduleFreeAdamW", {"learning_rate": 0.01}),
    "sfadamw_warmup_decay": ("ScheduleFreeAdamW", {"learning_rate": 0.02, "warmup_steps": 3,
                                                   "weight_decay": 0.1, "beta_1": 0.8}),
    "muon": ("Muon", {"learning_rate": 0.01}),
    "muon_options": ("Muon", {"learning_rate": EXP, "nesterov": False, "rms_rate": None,
                              "exclude_layers": ["wide"], "weight_decay": 0.1,
                              "adam_weight_decay": 0.05, "adam_lr_ratio": 0.5,
                              "momentum": 0.9, "ns_steps": 3, "clipnorm": 2.0}),
}

KERAS_STEPS = '''
import json
data = np.load(os.path.join(os.getcwd(), "data.npz"))
spec = json.load(open(os.path.join(os.getcwd(), "cases.json")))

def lr_of(v):
    if isinstance(v, list):
        return getattr(keras.optimizers.schedules, v[0])(**v[1])
    return v

for case, (cls, kw) in spec["cases"].items():
    kw = dict(kw)
    if "learning_rate" in kw:
        kw["learning_rate"] = lr_of(kw["learning_rate"])
    opt = getattr(keras.optimizers, cls)(**kw)
    names = spec["shapes"]
    vs = [keras.Variable(data[f"w0_{n}"], name=n) for n in names]
    for t in range(spec["steps"]):
        opt.apply([data[f"g{t}_{n}"] for n in names], vs)
    for n, v in zip(names, vs):
        out[f"{case}/{n}"] = np.asarray(v.numpy())
    out[f"{case}/iterations"] = int(opt.iterations.numpy())
'''


def _data():
    rng = np.random.default_rng(7)
    data = {f"w0_{n}": rng.normal(size=s).astype(np.float32) for n, s in SHAPES.items()}
    for t in range(STEPS):
        for n, s in SHAPES.items():
            data[f"g{t}_{n}"] = rng.normal(size=s).astype(np.float32)
    return data


def _ember_lr(v):
    if isinstance(v, list):
        return getattr(em.optimizers.schedules, v[0])(**v[1])
    return v


@pytest.fixture(scope="module")
def keras_steps(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("keras_steps")
    data = _data()
    np.savez(tmp / "data.npz", **data)
    (tmp / "cases.json").write_text(json.dumps({"cases": CASES, "shapes": list(SHAPES),
                                                "steps": STEPS}))
    return data, run_keras(KERAS_STEPS, tmp)


@pytest.mark.parametrize("case", sorted(CASES))
def test_steps_match_keras(case, keras_steps):
    data, ref = keras_steps
    cls, kw = CASES[case]
    kw = dict(kw)
    if "learning_rate" in kw:
        kw["learning_rate"] = _ember_lr(kw["learning_rate"])
    opt = getattr(em.optimizers, cls)(**kw)
    vs = [em.Variable(data[f"w0_{n}"], name=n) for n in SHAPES]
    for t in range(STEPS):
        opt.apply([data[f"g{t}_{n}"] for n in SHAPES], vs)
    for n, v in zip(SHAPES, vs):
        np.testing.assert_allclose(v.numpy(), ref[f"{case}/{n}"], rtol=2e-5, atol=2e-6,
                                   err_msg=f"{case}: {n}")
    assert opt.iterations == int(ref[f"{case}/iterations"]) == STEPS


def test_muon_sends_the_right_variables_to_newton_schulz():
    opt = em.optimizers.Muon(exclude_layers=["wide"])
    vs = {n: em.Variable(np.ones(s, np.float32), name=n) for n, s in SHAPES.items()}
    adamw = {n for n, v in vs.items() if opt.uses_adamw(v)}
    # as Keras' _should_use_adamw: not 2-D, an embedding, or an excluded path
    assert adamw == {"bias", "cube", "embedding_table", "scale", "wide"}


# ---------------------------------------------------------------- LossScaleOptimizer
# a crafted stream (the gradients the model gives for the scaled loss): inf and NaN at some
# steps, so the scale halves there and doubles after every 2 finite steps in a row
LS_BAD = {2: np.inf, 3: np.nan, 7: -np.inf}
LS_STEPS = 10

KERAS_LOSS_SCALE = '''
data = np.load(os.path.join(os.getcwd(), "ls.npz"))
for inner in ("sgd", "adam"):
    K = keras.optimizers
    base = K.SGD(0.1, momentum=0.5) if inner == "sgd" else K.Adam(0.05)
    opt = keras.optimizers.LossScaleOptimizer(base, initial_scale=8.0, dynamic_growth_steps=2)
    vs = [keras.Variable(data["w0_a"], name="a"), keras.Variable(data["w0_b"], name="b")]
    scales, its = [], []
    opt.build(vs)
    for t in range(int(data["steps"])):
        # the JAX trainer's path (the stateful apply's cond cannot run eagerly on JAX)
        new_vs, new_opt = opt.stateless_apply([v.value for v in opt.variables],
                                              [data[f"g{t}_a"], data[f"g{t}_b"]],
                                              [v.value for v in vs])
        for v, x in zip(vs + list(opt.variables), list(new_vs) + list(new_opt)):
            v.assign(x)
        scales.append(float(opt.dynamic_scale.numpy()))
        its.append(int(opt.iterations.numpy()))
    out[f"{inner}/scales"] = scales
    out[f"{inner}/iterations"] = its
    out[f"{inner}/a"] = vs[0].numpy()
    out[f"{inner}/b"] = vs[1].numpy()
'''


def _ls_data():
    rng = np.random.default_rng(3)
    data = {"w0_a": rng.normal(size=(3, 2)).astype(np.float32),
            "w0_b": rng.normal(size=(2,)).astype(np.float32), "steps": LS_STEPS}
    for t in range(LS_STEPS):
        data[f"g{t}_a"] = (rng.normal(size=(3, 2)) * 8).astype(np.float32)
        data[f"g{t}_b"] = (rng.normal(size=(2,)) * 8).astype(np.float32)
        if t in LS_BAD:
            data[f"g{t}_b"][1] = LS_BAD[t]
    return data


@pytest.fixture(scope="module")
def keras_loss_scale(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("keras_ls")
    data = _ls_data()
    np.savez(tmp / "ls.npz", **data)
    return data, run_keras(KERAS_LOSS_SCALE, tmp)


@pytest.mark.parametrize("inner", ["sgd", "adam"])
def test_loss_scale_sequence_and_variables_match_keras(inner, keras_loss_scale):
    data, ref = keras_loss_scale
    base = em.optimizers.SGD(0.1, momentum=0.5) if inner == "sgd" else em.optimizers.Adam(0.05)
    opt = em.optimizers.LossScaleOptimizer(base, initial_scale=8.0, dynamic_growth_steps=2)
    vs = [em.Variable(data["w0_a"], name="a"), em.Variable(data["w0_b"], name="b")]
    scales, its = [], []
    for t in range(LS_STEPS):
        opt.apply([data[f"g{t}_a"], data[f"g{t}_b"]], vs)
        scales.append(opt.dynamic_scale)
        its.append(opt.iterations)
    assert scales == list(ref[f"{inner}/scales"])
    assert scales[:4] == [8.0, 16.0, 8.0, 4.0]   # grow after 2 finite steps, then inf, NaN
    assert its == list(ref[f"{inner}/iterations"])
    np.testing.assert_allclose(vs[0].numpy(), ref[f"{inner}/a"], rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(vs[1].numpy(), ref[f"{inner}/b"], rtol=2e-5, atol=2e-6)


# ---------------------------------------------------------------- MultiOptimizer
KERAS_MULTI = '''
data = np.load(os.path.join(os.getcwd(), "multi.npz"))
sgd, adam = keras.optimizers.SGD(0.1), keras.optimizers.Adam(0.05)
opt = keras.optimizers.MultiOptimizer(keras.optimizers.OptimizerMap(sgd, {"b.*": adam}))
vs = [keras.Variable(data["w0_a"], name="a"), keras.Variable(data["w0_b1"], name="b1"),
      keras.Variable(data["w0_b2"], name="b2")]
for t in range(4):
    opt.apply([data[f"g{t}_{n}"] for n in ("a", "b1", "b2")], vs)
for n, v in zip(("a", "b1", "b2"), vs):
    out[n] = v.numpy()
out["iterations"] = [int(opt.iterations.numpy()), int(sgd.iterations.numpy()),
                     int(adam.iterations.numpy())]
'''


def test_multi_optimizer_matches_keras(tmp_path):
    rng = np.random.default_rng(5)
    shapes = {"a": (3, 2), "b1": (2,), "b2": (4,)}
    data = {f"w0_{n}": rng.normal(size=s).astype(np.float32) for n, s in shapes.items()}
    for t in range(4):
        data.update({f"g{t}_{n}": rng.normal(size=s).astype(np.float32)
                     for n, s in shapes.items()})
    np.savez(tmp_path / "multi.npz", **data)
    ref = run_keras(KERAS_MULTI, tmp_path)
    sgd, adam = em.optimizers.SGD(0.1), em.optimizers.Adam(0.05)
    opt = em.optimizers.MultiOptimizer(em.optimizers.OptimizerMap(sgd, {"b.*": adam}))
    vs = [em.Variable(data[f"w0_{n}"], name=n) for n in shapes]
    for t in range(4):
        opt.apply([data[f"g{t}_{n}"] for n in shapes], vs)
    for n, v in zip(shapes, vs):
        np.testing.assert_allclose(v.numpy(), ref[n], rtol=2e-5, atol=2e-6, err_msg=n)
    assert [opt.iterations, sgd.iterations, adam.iterations] == list(ref["iterations"])
    assert opt.optimizers == [adam, sgd]  # map values first, then the default (as Keras)
    with pytest.raises(AttributeError, match="learning rate"):
        opt.learning_rate  # noqa: B018


def test_optimizer_map_lookup_rules():
    adam, sgd, rms = em.optimizers.Adam(), em.optimizers.SGD(), em.optimizers.RMSprop()
    m = em.optimizers.OptimizerMap(rms)
    m["encoder/layer_0/dense"] = adam
    m["encoder/.*"] = sgd
    m["decoder"] = adam
    assert m["decoder"] is adam and m["encoder/layer_0/dense"] is adam
    assert m["encoder/layer_0/attention/query"] is sgd and m["decoder/layer_0/dense"] is rms
    m["enc.*"] = adam
    with pytest.raises(ValueError, match="several optimizers"):
        m["encoder/x"]
    with pytest.raises(ValueError, match="already in the map"):
        m["decoder"] = sgd
    with pytest.raises(ValueError, match="cannot be a LossScaleOptimizer"):
        m["x"] = em.optimizers.LossScaleOptimizer(em.optimizers.SGD())
    with pytest.raises(TypeError, match="default_optimizer"):
        em.optimizers.OptimizerMap("adam")
    # a callable map works too
    opt = em.optimizers.MultiOptimizer(lambda v: adam if "bias" in v.path else sgd)
    k, b = em.Variable(np.ones((2, 2), np.float32), name="k"), em.Variable(
        np.ones(2, np.float32), name="bias")
    opt.apply([np.ones((2, 2), np.float32), np.ones(2, np.float32)], [k, b])
    assert adam.iterations == sgd.iterations == opt.iterations == 1


# ---------------------------------------------------------------- model.fit
FIT = {"Lion": {"learning_rate": 0.01}, "Lamb": {"learning_rate": 0.02},
       "Ftrl": {"learning_rate": 0.2}, "Adafactor": {"learning_rate": 0.05},
       "ScheduleFreeAdamW": {"learning_rate": 0.02, "warmup_steps": 2},
       "Muon": {"learning_rate": 0.02}, "LossScaleOptimizer": {}, "MultiOptimizer": {},
       # a scale so large that loss * scale overflows float32: the first steps are skipped
       # and the scale halves until the scaled loss is finite again
       "LossScaleOverflow": {}}

KERAS_FIT = '''
import json
data = np.load(os.path.join(os.getcwd(), "fit.npz"))
fits = json.load(open(os.path.join(os.getcwd(), "fit.json")))
K = keras.optimizers
for cls, kw in fits.items():
    if cls == "LossScaleOptimizer":
        opt = K.LossScaleOptimizer(K.Adam(0.01), initial_scale=2.0 ** 15)
    elif cls == "LossScaleOverflow":
        opt = K.LossScaleOptimizer(K.Adam(0.01), initial_scale=2.0 ** 127,
                                   dynamic_growth_steps=3)
    elif cls == "MultiOptimizer":
        opt = K.MultiOptimizer(K.OptimizerMap(K.SGD(0.1), {".*bias": K.Adam(0.01)}))
    else:
        opt = getattr(K, cls)(**kw)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(2)])
    model.set_weights([data[f"w{i}"] for i in range(4)])
    model.compile(optimizer=opt, loss="mse")
    model.fit(data["x"], data["y"] * data["y_scale"], batch_size=4, epochs=2, shuffle=False,
              verbose=0)
    for i, w in enumerate(model.get_weights()):
        out[f"{cls}/{i}"] = w
    out[f"{cls}/iterations"] = int(opt.iterations.numpy())
    if cls.startswith("LossScale"):
        out[f"{cls}/scale"] = float(opt.dynamic_scale.numpy())
'''


def _ember_fit_optimizer(cls, kw):
    opts = em.optimizers
    if cls == "LossScaleOptimizer":
        return opts.LossScaleOptimizer(opts.Adam(0.01), initial_scale=2.0 ** 15)
    if cls == "LossScaleOverflow":
        return opts.LossScaleOptimizer(opts.Adam(0.01), initial_scale=2.0 ** 127,
                                       dynamic_growth_steps=3)
    if cls == "MultiOptimizer":
        return opts.MultiOptimizer(opts.OptimizerMap(opts.SGD(0.1), {".*bias": opts.Adam(0.01)}))
    return getattr(opts, cls)(**kw)


@pytest.fixture(scope="module")
def keras_fit(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("keras_fit")
    rng = np.random.default_rng(11)
    data = {"x": rng.normal(size=(16, 3)).astype(np.float32),
            "y": rng.normal(size=(16, 2)).astype(np.float32),
            "w0": rng.normal(size=(3, 4)).astype(np.float32) * 0.5,
            "w1": rng.normal(size=(4,)).astype(np.float32) * 0.1,
            "w2": rng.normal(size=(4, 2)).astype(np.float32) * 0.5,
            "w3": rng.normal(size=(2,)).astype(np.float32) * 0.1,
            "y_scale": np.float32(10.0)}  # mse ~ 100: overflows times 2**121 and above
    np.savez(tmp / "fit.npz", **data)
    (tmp / "fit.json").write_text(json.dumps(FIT))
    return data, run_keras(KERAS_FIT, tmp)


@pytest.mark.parametrize("cls", list(FIT))
def test_fit_ends_with_keras_weights(cls, keras_fit):
    data, ref = keras_fit
    model = em.Sequential([em.Input((3,)), em.layers.Dense(4, activation="tanh"),
                           em.layers.Dense(2)])
    model.set_weights([data[f"w{i}"] for i in range(4)])
    model.compile(optimizer=_ember_fit_optimizer(cls, FIT[cls]), loss="mse")
    model.fit(data["x"], data["y"] * data["y_scale"], batch_size=4, epochs=2, shuffle=False,
              verbose=0)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, ref[f"{cls}/{i}"], rtol=2e-5, atol=2e-6,
                                   err_msg=f"{cls}: weight {i}")
    assert model.optimizer.iterations == int(ref[f"{cls}/iterations"])
    if cls == "LossScaleOverflow":
        assert model.optimizer.dynamic_scale == float(ref[f"{cls}/scale"]) < 2.0 ** 127
        assert 0 < model.optimizer.iterations < 8   # some steps were skipped, not all
    else:
        assert model.optimizer.iterations == 8
        if cls == "LossScaleOptimizer":
            assert model.optimizer.dynamic_scale == float(ref[f"{cls}/scale"]) == 2.0 ** 15


@pytest.mark.parametrize("name,cls", [("lion", "Lion"), ("lamb", "Lamb"), ("ftrl", "Ftrl"),
                                      ("adafactor", "Adafactor"), ("muon", "Muon"),
                                      ("schedulefreeadamw", "ScheduleFreeAdamW")])
def test_compile_by_name(name, cls):
    model = em.Sequential([em.Input((3,)), em.layers.Dense(2)])
    model.compile(optimizer=name, loss="mse")
    assert type(model.optimizer).__name__ == cls
    model.fit(np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32), verbose=0)
    assert model.optimizer.iterations == 1
