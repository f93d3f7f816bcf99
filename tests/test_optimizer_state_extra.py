"""Lion, Lamb, Ftrl, Adafactor, ScheduleFreeAdamW, Muon, LossScaleOptimizer and MultiOptimizer
beyond their steps: state restored bit-identically (also from a model file in a fresh
process), dtypes, config round trips and argument errors."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ember as em

OPT = em.optimizers
MAKERS = {
    "Lion": lambda: OPT.Lion(0.01, weight_decay=0.1),
    "Lamb": lambda: OPT.Lamb(0.01),
    "Ftrl": lambda: OPT.Ftrl(0.1, l1_regularization_strength=0.01),
    "Adafactor": lambda: OPT.Adafactor(0.05),
    "ScheduleFreeAdamW": lambda: OPT.ScheduleFreeAdamW(0.01, warmup_steps=2),
    "Muon": lambda: OPT.Muon(0.01),
    "LossScaleOptimizer": lambda: OPT.LossScaleOptimizer(OPT.Adam(0.01), initial_scale=4.0,
                                                       dynamic_growth_steps=3),
    "MultiOptimizer": lambda: OPT.MultiOptimizer(OPT.OptimizerMap(OPT.SGD(0.1, momentum=0.9),
                                                              {".*b.*": OPT.Adafactor(0.05)})),
}
SHAPES = {"kernel": (4, 3), "bias": (5,), "cube": (2, 3, 4)}


def _grads(steps, seed=0):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=s).astype(np.float32) for s in SHAPES.values()]
            for _ in range(steps)]


def _vars(seed=1):
    rng = np.random.default_rng(seed)
    return [em.Variable(rng.normal(size=s).astype(np.float32), name=n)
            for n, s in SHAPES.items()]


@pytest.mark.parametrize("name", list(MAKERS))
def test_state_restores_bit_identically(name):
    grads = _grads(10)
    params, opt = _vars(), MAKERS[name]()
    for gs in grads[:5]:
        opt.apply(gs, params)
    state = {k: np.ascontiguousarray(v).copy() for k, v in opt.get_state().items()}
    clones = [em.Variable(p.numpy().copy(), name=p.name) for p in params]
    restored = MAKERS[name]()
    restored.set_state(state, clones)
    for gs in grads[5:]:
        opt.apply(gs, params)
        restored.apply(gs, clones)
    for p, c in zip(params, clones):
        np.testing.assert_array_equal(p.numpy(), c.numpy())
    assert restored.iterations == opt.iterations == 10
    assert all(np.array_equal(a, b) for a, b in zip(opt.variables(), restored.variables()))


def test_set_state_checks_slot_shapes():
    opt = OPT.Adafactor()
    params = _vars()
    opt.apply(_grads(1)[0], params)
    state = opt.get_state()
    assert state["r/0"].shape == (4,) and state["c/0"].shape == (3,)
    assert state["r/2"].shape == (2, 3) and state["c/2"].shape == (2, 4)
    assert "r/1" not in state and state["velocity/1"].shape == (5,)
    bad = dict(state, **{"r/0": np.zeros(3, np.float32)})
    with pytest.raises(ValueError, match="'r/0' has shape"):
        OPT.Adafactor().set_state(bad, params)
    with pytest.raises(ValueError, match="unexpected entry 'r/1'"):
        OPT.Adafactor().set_state(dict(state, **{"r/1": np.zeros(5, np.float32)}), params)


def test_loss_scale_state_keeps_the_scale():
    opt = MAKERS["LossScaleOptimizer"]()
    params = _vars()
    for gs in _grads(4):
        opt.apply(gs, params)
    assert opt.dynamic_scale == 8.0 and opt.step_counter == 1
    again = MAKERS["LossScaleOptimizer"]()
    again.set_state(opt.get_state(), params)
    assert (again.dynamic_scale, again.step_counter, again.iterations) == (8.0, 1, 4)


@pytest.mark.parametrize("name", list(MAKERS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_kept(name, dtype):
    opt = MAKERS[name]()
    params = [em.Variable(np.ones(s, dtype), dtype=dtype, name=n) for n, s in SHAPES.items()]
    for _ in range(2):
        opt.apply([np.full(s, 0.5, "float64") for s in SHAPES.values()], params)
    assert all(p.dtype == dtype for p in params)
    assert all(v.dtype == dtype for v in opt.variables() if v.ndim)


@pytest.mark.parametrize("name", list(MAKERS))
def test_config_round_trip(name):
    opt = MAKERS[name]()
    again = OPT.deserialize(json.loads(json.dumps(em.serialization.serialize(opt))))
    assert type(again) is type(opt)
    assert json.dumps(again.get_config(), sort_keys=True) == json.dumps(opt.get_config(),
                                                                        sort_keys=True)


def test_keras_defaults():
    lion, lamb, ftrl, ada = OPT.Lion(), OPT.Lamb(), OPT.Ftrl(), OPT.Adafactor()
    assert (lion.learning_rate, lion.beta_1, lion.beta_2) == (0.001, 0.9, 0.99)
    assert (lamb.beta_1, lamb.beta_2, lamb.epsilon) == (0.9, 0.999, 1e-7)
    assert (ftrl.learning_rate_power, ftrl.initial_accumulator_value, ftrl.beta) == (-0.5, 0.1,
                                                                                    0.0)
    assert (ada.beta_2_decay, ada.epsilon_1, ada.epsilon_2, ada.clip_threshold) == (
        -0.8, 1e-30, 1e-3, 1.0)
    sf, mu = OPT.ScheduleFreeAdamW(), OPT.Muon()
    assert (sf.learning_rate, sf.epsilon, sf.warmup_steps) == (0.0025, 1e-8, 0)
    assert (mu.weight_decay, mu.adam_weight_decay, mu.momentum, mu.ns_steps, mu.rms_rate) == (
        0.004, 0.004, 0.95, 5, 0.2)
    ls = OPT.LossScaleOptimizer(OPT.SGD())
    assert (ls.initial_scale, ls.dynamic_growth_steps) == (32768.0, 2000)


def test_signatures_match_keras():
    keras = pytest.importorskip("keras")
    import inspect

    # Keras' arguments ember's base has no use for (no EMA, gradient accumulation or fixed
    # loss scale factor on single optimizers yet) are the only ones left out
    unsupported = {"use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                   "gradient_accumulation_steps", "kwargs"}
    for name in ["Lion", "Lamb", "Ftrl", "Adafactor", "ScheduleFreeAdamW", "Muon",
                 "LossScaleOptimizer", "MultiOptimizer"]:
        theirs = inspect.signature(getattr(keras.optimizers, name)).parameters
        ours = inspect.signature(getattr(OPT, name)).parameters
        for arg, p in theirs.items():
            if arg in unsupported and name != "MultiOptimizer":
                continue
            assert arg in ours, f"{name}: {arg}"
            if p.default is not inspect.Parameter.empty:
                assert ours[arg].default == p.default, f"{name}: {arg}"


@pytest.mark.parametrize("make_bad,match", [
    (lambda: OPT.Lion(learning_rate=-0.1), "Lion: `learning_rate` must be >= 0"),
    (lambda: OPT.Lion(beta_1=0.0), r"Lion: `beta_1` must be in \(0, 1\]"),
    (lambda: OPT.Lion(beta_2=1.5), "Lion: `beta_2`"),
    (lambda: OPT.Lamb(beta_1=1.0), r"Lamb: `beta_1` must be in \[0, 1\)"),
    (lambda: OPT.Lamb(epsilon=-1.0), "Lamb: `epsilon`"),
    (lambda: OPT.Ftrl(learning_rate_power=0.5), "Ftrl: `learning_rate_power` must be <= 0"),
    (lambda: OPT.Ftrl(l1_regularization_strength=-1), "Ftrl: `l1_regularization_strength`"),
    (lambda: OPT.Ftrl(initial_accumulator_value=-1), "Ftrl: `initial_accumulator_value`"),
    (lambda: OPT.Adafactor(clip_threshold=0.0), "Adafactor: `clip_threshold` must be > 0"),
    (lambda: OPT.Adafactor(beta_2_decay=0.5), "Adafactor: `beta_2_decay` must be <= 0"),
    (lambda: OPT.ScheduleFreeAdamW(beta_2=1.0), "ScheduleFreeAdamW: `beta_2`"),
    (lambda: OPT.ScheduleFreeAdamW(warmup_steps=-2), "ScheduleFreeAdamW: `warmup_steps`"),
    (lambda: OPT.Muon(momentum=1.5), r"Muon: `momentum` must be in \[0, 1\]"),
    (lambda: OPT.Muon(ns_steps=2.5), "Muon: `ns_steps`"),
    (lambda: OPT.Muon(adam_beta_1=1.0), "Muon: `adam_beta_1`"),
    (lambda: OPT.LossScaleOptimizer("adam"), "inner_optimizer` must be an ember Optimizer"),
    (lambda: OPT.LossScaleOptimizer(OPT.SGD(), initial_scale=0), "initial_scale` must be > 0"),
    (lambda: OPT.LossScaleOptimizer(OPT.SGD(), dynamic_growth_steps=0), "dynamic_growth_steps"),
    (lambda: OPT.LossScaleOptimizer(OPT.SGD(), clipnorm=1.0), "does not support `clipnorm`"),
    (lambda: OPT.MultiOptimizer("adam"), "optimizer_map` must be an OptimizerMap"),
    (lambda: OPT.Lion(use_ema=True), "not recognized"),
])
def test_bad_arguments_name_the_optimizer(make_bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make_bad()


def test_ftrl_refuses_a_zero_learning_rate_step():
    w = em.Variable(np.ones(2, np.float32))
    with pytest.raises(ValueError, match="Ftrl: the learning rate must be > 0"):
        OPT.Ftrl(learning_rate=0.0).apply([np.ones(2, np.float32)], [w])


# ---------------------------------------------------------------- a model file, fresh process
RESUME = textwrap.dedent('''
    import sys
    import numpy as np
    import ember as em
    out, x, y = sys.argv[1], np.load(sys.argv[2] + "/x.npy"), np.load(sys.argv[2] + "/y.npy")
    model = em.models.load_model(out)
    before = model.optimizer.iterations
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    np.savez(out + ".resumed.npz", *model.get_weights(), it=[before, model.optimizer.iterations])
''')


def test_saved_model_resumes_identically_in_a_fresh_process(tmp_path):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(12, 3)).astype(np.float32), rng.normal(size=(12, 2)).astype(
        np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    expected = {}
    for name, make in MAKERS.items():
        em.utils.set_random_seed(0)
        model = em.Sequential([em.Input((3,)), em.layers.Dense(4, activation="tanh"),
                               em.layers.Dense(2)])
        model.compile(optimizer=make(), loss="mse")
        model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        model.save(tmp_path / f"{name}.ember")
        model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        expected[name] = model.get_weights()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [os.path.join(os.path.dirname(__file__), "..", "src"), os.environ.get("PYTHONPATH", "")])}
    for name in MAKERS:
        proc = subprocess.run([sys.executable, "-c", RESUME, str(tmp_path / f"{name}.ember"),
                               str(tmp_path)], capture_output=True, text=True, timeout=300,
                              env=env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        with np.load(tmp_path / f"{name}.ember.resumed.npz") as got:
            assert list(got["it"]) == [3, 6], name
            for i, w in enumerate(expected[name]):
                np.testing.assert_array_equal(got[f"arr_{i}"], w, err_msg=f"{name}: {i}")
