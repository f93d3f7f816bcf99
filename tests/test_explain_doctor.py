"""The training doctor on runs built to fail (each gets the right diagnosis) and on a healthy
run (no finding), on a subset of real MNIST."""

import numpy as np
import pytest

import ember as em
from ember.explain.findings import Finding, curve_findings

D = em.layers.Dense


@pytest.fixture(scope="module")
def digits():
    from conftest import mnist_dir

    path = mnist_dir()
    if path is None:
        pytest.skip("the MNIST files are not on this machine (set EMBER_DATA_DIR)")
    (x, y), _ = em.datasets.mnist.load_data(path=str(path))
    return (x[:2000] / 255.0).astype(np.float32).reshape(2000, -1), y[:2000]


def run(layers, optimizer, x, y, epochs, **fit):
    em.utils.set_random_seed(0)
    model = em.Sequential([em.Input((x.shape[1],))] + layers)
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    doctor = em.callbacks.Doctor(verbose=0)
    history = model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, callbacks=[doctor],
                        **fit)
    return model, history, doctor


def kinds(findings):
    return {f.kind for f in findings}


def test_healthy_run_gets_no_finding(digits, capsys):
    x, y = digits
    model, history, doctor = run([D(64, activation="relu"), D(10, activation="softmax")],
                                 "adam", x, y, 3, validation_split=0.2)
    assert doctor.findings == [] and em.explain.diagnose(model) == []
    assert em.explain.diagnose(history) == []
    assert "trainer" not in model._trainer.__dict__ and \
        "_forward_loss" not in model._trainer.__dict__  # the step hook is gone after fit
    # it measured: one record per epoch, each with layer statistics and step ratios
    assert len(doctor.records) == 3
    stats = doctor.records[-1]["layers"]
    assert [s.name for s in stats if s.grad_norm] == [layer.name for layer in model.layers]
    assert all(1e-4 < r < 0.3 for r in doctor.records[0]["update_ratios"].values())
    assert doctor.summary() == "Doctor: no problems found"
    table = doctor.layer_table()
    assert table.startswith("epoch 3:") and all(layer.name in table for layer in model.layers)


def test_deep_sigmoid_stack_has_a_vanishing_gradient(digits):
    x, y = digits
    layers = [D(32, activation="sigmoid") for _ in range(12)] + [D(10, activation="softmax")]
    model, _, _ = run(layers, "sgd", x[:1000], y[:1000], 1)
    found = [f for f in em.explain.diagnose(model) if f.kind == "vanishing_gradient"]
    assert len(found) == 1
    assert found[0].layer == model.layers[0].name  # the first layer is named
    assert found[0].evidence["ratio_to_last"] < 1e-3
    assert "ReLU" in found[0].fix and model.layers[0].name in str(found[0])


def test_too_high_learning_rate(digits):
    x, y = digits
    model, _, doctor = run([D(64, activation="relu"), D(10, activation="softmax")],
                           em.optimizers.SGD(learning_rate=20.0), x, y, 2)
    found = kinds(em.explain.diagnose(model))
    assert "learning_rate_too_high" in found and "learning_rate_too_low" not in found
    step = next(f for f in doctor.findings if f.kind == "learning_rate_too_high")
    assert step.evidence["update_ratio"] > 0.3
    assert "learning rate" in step.fix


def test_nan_input_is_refused_by_fit_and_explained_by_the_doctor(digits):
    x, y = digits
    bad = x.copy()
    bad[700, 3] = np.nan
    # fit refuses NaN data before the first step, so the doctor never sees a NaN run
    with pytest.raises(ValueError, match=r"fit: x contains 1 non-finite value .* index "
                                         r"\(700, 3\)"):
        run([D(64, activation="relu"), D(10, activation="softmax")], "adam", bad, y, 2,
            shuffle=False)
    # a NaN batch that comes later (a pipeline's map in a later epoch) is named by the doctor:
    # row 700 is row 700 - 21 * 32 = 28 of batch 21
    from ember.explain.doctor import non_finite_finding

    f = non_finite_finding({"where": "input", "rows": [28], "nan": True}, epoch=0, step=21)
    assert f.kind == "nan_input" and "batch 21" in f.message and "[28]" in f.message
    assert "np.isnan" in f.fix


def test_exploding_activations_name_the_first_non_finite_layer():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 32)).astype(np.float32)
    y = rng.integers(0, 4, 64)
    init = em.initializers.RandomNormal(stddev=1.0)  # unit variance: x8 per layer

    def layers():
        return [D(128, activation="relu", kernel_initializer=init) for _ in range(48)] + \
            [D(4, activation="softmax")]

    em.utils.set_random_seed(0)
    model = em.Sequential([em.Input((32,))] + layers())
    model.compile("sgd", "sparse_categorical_crossentropy")
    with np.errstate(over="ignore", invalid="ignore"):  # the overflow is the point
        # fit stops at the NaN by default (the update is not applied); the doctor saw it
        with pytest.raises(em.models.NonFiniteLossError) as stopped:
            model.fit(x, y, epochs=1, batch_size=32, verbose=0, shuffle=False,
                      callbacks=[em.callbacks.Doctor(verbose=0)])
        (f,) = [f for f in em.explain.diagnose(model) if f.kind == "non_finite"]
    assert f"'{f.layer}'" in str(stopped.value)  # fit's message and the doctor agree
    # find it independently, in float64 from the same initial weights
    em.utils.set_random_seed(0)
    ref = em.Sequential([em.Input((32,))] + layers())
    ref.build((None, 32))
    h = x[:32].astype(np.float64)  # the first batch
    first = None
    for i, layer in enumerate(ref.layers):
        h = np.maximum(h @ layer.kernel.data + layer.bias.data, 0)
        if not (np.abs(h) < np.finfo(np.float32).max).all():
            first = i
            break
    assert first is not None and f.layer == model.layers[first].name
    assert f.evidence["input_finite"] and f.evidence["weights_finite"]
    assert "overflowed" in f.message and "batch 0" in f.message


def test_tiny_model_on_a_hard_task_underfits(digits):
    x, y = digits
    model, _, _ = run([D(1, activation="relu"), D(10, activation="softmax")], "adam", x, y, 5)
    assert kinds(em.explain.diagnose(model)) == {"underfitting"}


def test_big_model_on_200_samples_overfits(digits):
    x, y = digits
    model, _, _ = run([D(256, activation="relu"), D(256, activation="relu"),
                       D(10, activation="softmax")], "adam", x[:200], y[:200], 15,
                      validation_data=(x[1000:1300], y[1000:1300]))
    found = em.explain.diagnose(model)
    assert kinds(found) == {"overfitting"}
    assert "dropout" in found[0].fix and "EarlyStopping" in found[0].fix


def test_curves_alone():
    assert kinds(curve_findings({"loss": [1.0, 0.8, 0.6, 0.5], "val_loss": [1.0, 0.8, 0.7,
                                                                            0.65]})) == set()
    plateau = curve_findings({"loss": [2.0, 1.0, 0.6, 0.6, 0.6, 0.6],
                              "accuracy": [0.5, 0.8, 0.85, 0.85, 0.85, 0.85]})
    assert kinds(plateau) == {"plateau"}
    assert kinds(curve_findings({"loss": [1.0, 0.5]})) == set()  # too short to say


def test_diagnose_probes_a_model_on_a_batch():
    em.utils.set_random_seed(0)
    model = em.Sequential([em.Input((10,)), D(16, activation="relu",
                                              bias_initializer=em.initializers.Constant(-50.0)),
                           D(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(32, 10)).astype(np.float32)
    found = em.explain.diagnose(model, x, np.zeros(32, np.int64))
    (dead,) = [f for f in found if f.kind == "dead_relu"]
    assert dead.layer == model.layers[0].name and dead.evidence["dead_fraction"] == 1.0


def test_bad_arguments_say_what_was_expected():
    with pytest.raises(TypeError, match="History"):
        em.explain.diagnose(42)
    with pytest.raises(ValueError, match="probe must be an"):
        em.callbacks.Doctor(probe=np.zeros(3))
    with pytest.raises(ValueError, match="every"):
        em.callbacks.Doctor(every=0)


def test_finding_prints_message_and_fix():
    text = str(Finding("overfitting", "val loss rose"))
    assert text.startswith("overfitting: val loss rose") and "fix: add dropout" in text


def test_doctor_costs_under_ten_percent_of_an_epoch(digits):
    """The doctor's own work (step hook, epoch-end probe) against the epoch's time, timed
    inside one run (a second run for an on/off comparison would mostly measure the noise of a
    shared machine; benchmarks/bench_explain.py does that on a full epoch)."""
    import time

    x, y = digits
    em.utils.set_random_seed(0)
    model = em.Sequential([em.Input((784,)), D(128, activation="relu"),
                           D(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    doctor = em.callbacks.Doctor(verbose=0)
    # 8 copies of the 2,000 images: 500 steps, a quarter of an MNIST epoch (the probe at the end of
    # an epoch is a fixed cost; on 2 copies it was 10 % of an epoch that short once Adam got
    # faster)
    xs, ys = np.concatenate([x] * 8), np.concatenate([y] * 8)
    start = time.perf_counter()
    model.fit(xs, ys, epochs=1, batch_size=32, verbose=0, callbacks=[doctor])
    total = time.perf_counter() - start
    assert doctor.seconds < 0.1 * total, (doctor.seconds, total)


def test_saturated_tanh_units_from_unscaled_inputs():
    rng = np.random.default_rng(0)
    x = (rng.random((128, 20)) * 255).astype(np.float32)  # pixels left in 0..255
    y = rng.integers(0, 2, 128)
    model, _, _ = run([D(32, activation="tanh"), D(2, activation="softmax")], "sgd", x, y, 1)
    (sat,) = [f for f in em.explain.diagnose(model) if f.kind == "saturated_units"]
    assert sat.layer == model.layers[0].name and sat.evidence["saturated_fraction"] > 0.5
    assert "scale the inputs" in sat.fix


def test_too_low_learning_rate():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model, _, _ = run([D(16, activation="relu"), D(2, activation="softmax")],
                      em.optimizers.SGD(learning_rate=1e-10), x, y, 1)
    assert "learning_rate_too_low" in kinds(em.explain.diagnose(model))


def test_layer_rules_on_given_measurements():
    from ember.explain.doctor import layer_findings, step_findings
    from ember.explain.probe import LayerStats

    def stats(*ratios):
        return [LayerStats(f"d{i}", "Dense", "relu", grad_norm=r, weight_norm=1.0)
                for i, r in enumerate(ratios)]

    assert layer_findings(stats(0.1, 0.2, 0.1)) == []
    (f,) = layer_findings(stats(1e-6, 1e-2, 0.1))
    assert f.kind == "vanishing_gradient" and f.layer == "d0"
    (f,) = layer_findings(stats(50.0, 1.0, 0.01))
    assert f.kind == "exploding_gradient" and f.layer == "d0"
    (f,) = layer_findings(stats(0.1, float("nan"), 0.1))
    assert f.kind == "exploding_gradient" and f.layer == "d1"
    assert step_findings({"d0": 1e-3, "d1": 2e-3}) == []
    assert step_findings({"d0": 0.0, "d1": 0.0}) == []  # no gradient at all: not a small lr
    assert [f.kind for f in step_findings({"d0": 0.9})] == ["learning_rate_too_high"]
