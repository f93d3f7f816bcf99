"""The Keras compatibility corpus (tests/keras_corpus/): programs from the public Keras guides
and examples with only the import and the data changed. Each runs on ember and, where it
does not need TensorFlow itself, on real Keras 3 (KERAS_BACKEND=jax) on the same data; the
final numbers must agree within the tolerance stated per program."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from keras_corpus_runner import CORPUS, FAILED, _keras_results, _result, _start, _start_keras

# program -> how its RESULT is compared with Keras' (None: ember only, TensorFlow-only code)
PROGRAMS = {
    "mnist_convnet": "accuracy within 0.10, loss within 0.35 (different weight init streams)",
    "callbacks_guide": "identical log keys in every hook",
    "functional_multi_input": "final loss within 25 %",
    "training_and_evaluation": "accuracies within 0.05, losses within 25 %",
    "sequential_guide": "identical layer counts, weight counts, shapes, parameter counts",
    "layers_subclassing": "identical structure numbers; VAE losses within 15 %",
    "custom_fit": None,
    "training_loop_from_scratch": None,
    "autoencoder": "identical parameter count and shapes; validation losses within 15 %",
    "imbalanced_classification": "identical sample counts per class; val recall within 0.35, "
                                 "val loss within 50 % (8 steps of a 3200-sample fit)",
    "serialization_and_saving": "identical structure numbers, configs and registered names "
                                "(except the keys listed in the test)",
    "antirectifier": None,
    "endpoint_layer_pattern": None,
    "regression": None,
    "vae": None,
    "trainer_pattern": None,
    "custom_layers": None,
    "intro_to_keras_for_engineers": "identical log keys for arrays, DataLoaders and tf.data; "
                                    "test accuracy within 0.15; the reloaded .keras model "
                                    "scores the same",
    "masking_and_padding": "identical masks, padded arrays and shapes",
    "addition_rnn": "accuracies within 0.1, losses within 25 %",
    "timeseries_classification": "identical log keys (learning_rate included); final training "
                                 "accuracy within 0.15, loss within 35 % (test accuracy after "
                                 "30 steps rests on BatchNorm's moving statistics: not compared)",
    "functional_api": "identical shapes, parameter counts, layer counts and log keys; MNIST "
                      "test accuracy within 0.05, loss within 25 %; the reloaded .keras model "
                      "scores the same",
    "quickstart_beginner": None,
    "quickstart_advanced": None,
    "classification": "test accuracies within 0.05, losses within 25 %",
}


# program -> (text its failure output must show, reason): the programs that need a layer
# the layer-zoo branch adds; un-xfail them when it merges
XFAIL: dict[str, tuple[str, str]] = {}  # program -> (output that shows why, reason)


def _ember(results: dict, name: str) -> dict:
    """A program's RESULT on ember; an expected failure (XFAIL) is reported as one only
    when the output shows the reason."""
    r = results[(name, False)]
    if FAILED in r:
        marker, reason = XFAIL.get(name, (None, None))
        if marker is not None and marker in r[FAILED]:
            pytest.xfail(reason)
        pytest.fail(r[FAILED])
    return r


@pytest.fixture(scope="module")
def results() -> dict:
    """Every program on ember and on Keras, all started at once (the Keras import dominates)."""
    sys.path.insert(0, str(CORPUS))
    from corpus_data import mnist_available

    if not mnist_available():
        pytest.skip("MNIST files not found under $EMBER_DATA_DIR")
    import importlib.util

    # found, not imported: importing keras here would fix its backend for the whole session
    have_keras = all(importlib.util.find_spec(m) is not None for m in ("keras", "jax"))
    keras_proc = _start_keras([n for n, how in PROGRAMS.items() if how]) if have_keras \
        else None
    results = {}
    names = list(PROGRAMS)
    for i in range(0, len(names), 2):  # two at a time: each runs on one thread
        procs = [(n, _start(n)) for n in names[i:i + 2]]
        results.update({(n, False): _result(p, f"{n} on ember") for n, p in procs})
    if keras_proc is not None:
        results.update(_keras_results(keras_proc))
    report = os.environ.get("EMBER_CORPUS_REPORT")
    if report:  # every program's RESULT on ember and on Keras, for a closing note's table
        table = {n: {side: results.get((n, k), {}) for side, k in (("ember", False),
                                                                    ("keras", True))}
                 for n in names}
        Path(report).write_text(json.dumps(table, indent=1, default=str))
    return results


def _keras(results: dict, name: str) -> dict:
    if (name, True) not in results:
        pytest.skip("keras / jax not installed: the Keras side of the corpus is not run")
    r = results[(name, True)]
    if FAILED in r:
        pytest.fail(r[FAILED])
    return r


def test_mnist_convnet(results):
    ember = _ember(results, "mnist_convnet")
    assert ember["accuracy"] > 0.60  # 2 epochs on 2000 digits
    keras = _keras(results, "mnist_convnet")
    assert abs(ember["accuracy"] - keras["accuracy"]) < 0.10, (ember, keras)
    assert abs(ember["loss"] - keras["loss"]) < 0.35, (ember, keras)


def test_callbacks_guide_log_keys(results):
    ember = _ember(results, "callbacks_guide")["hooks"]
    assert len(ember) == 14  # every hook ran and got a dict
    keras = _keras(results, "callbacks_guide")["hooks"]
    assert ember == keras


def test_functional_multi_input(results):
    ember = _ember(results, "functional_multi_input")["loss"]
    keras = _keras(results, "functional_multi_input")["loss"]
    assert abs(ember - keras) <= 0.25 * keras, (ember, keras)


def test_training_and_evaluation(results):
    ember = _ember(results, "training_and_evaluation")
    assert ember["val_accuracy"] > 0.7 and ember["predictions_shape"] == [3, 10]
    keras = _keras(results, "training_and_evaluation")
    assert ember["predictions_shape"] == keras["predictions_shape"]
    for key in ("val_accuracy", "test_accuracy"):
        assert abs(ember[key] - keras[key]) < 0.05, (key, ember, keras)
    for key in ("test_loss", "custom_loss"):  # the second: a keras.ops loss function
        assert abs(ember[key] - keras[key]) <= 0.25 * keras[key], (key, ember, keras)


def test_sequential_guide(results):
    ember = _ember(results, "sequential_guide")
    assert ember["feature_shapes"][0] == [1, 123, 123, 32]
    assert ember == _keras(results, "sequential_guide")


def test_layers_subclassing(results):
    ember = dict(_ember(results, "layers_subclassing"))
    keras = dict(_keras(results, "layers_subclassing"))
    ember_vae, keras_vae = ember.pop("vae_loss"), keras.pop("vae_loss")
    assert ember == keras  # add_weight, assign_add, losses, nested weights
    assert ember_vae[-1] < ember_vae[0]
    for a, b in zip(ember_vae, keras_vae):  # reconstruction MSE + add_loss(KL)
        assert abs(a - b) <= 0.15 * b, (ember_vae, keras_vae)


def test_custom_fit_trains(results):
    r = _ember(results, "custom_fit")
    first, second = r["first"], r["second"]
    assert sorted(first) == ["loss", "mae"] and sorted(second) == ["loss", "mae"]
    assert first["loss"][-1] < first["loss"][0]
    # the loss-less compile: the model's own trackers, reset at each epoch (else the last
    # epoch's mean would include the first epoch's large losses)
    assert second["loss"][-1] < 0.5 * second["loss"][0]


def test_training_loop_from_scratch(results):
    r = _ember(results, "training_loop_from_scratch")
    assert r["train_acc"] > 0.7 and r["val_acc"] > 0.7


def test_autoencoder(results):
    ember = _ember(results, "autoencoder")
    keras = _keras(results, "autoencoder")
    assert ember["params"] == keras["params"] == 28353
    assert ember["predictions_shape"] == keras["predictions_shape"]
    for a, b in zip(ember["val_loss"], keras["val_loss"]):
        assert abs(a - b) <= 0.15 * b, (ember, keras)


def test_imbalanced_classification(results):
    ember = _ember(results, "imbalanced_classification")
    keras = _keras(results, "imbalanced_classification")
    # Keras 3: metrics= ignore class weights (weighted_metrics= would use them), so the
    # training counts add up to the number of training samples
    for r in (ember, keras):
        assert r["fn"] + r["fp"] + r["tn"] + r["tp"] == 3200, r
    assert ember["val_tn"] + ember["val_fp"] == keras["val_tn"] + keras["val_fp"]
    assert ember["val_tp"] + ember["val_fn"] == keras["val_tp"] + keras["val_fn"]
    assert abs(ember["val_recall"] - keras["val_recall"]) <= 0.35, (ember, keras)
    assert abs(ember["val_loss"] - keras["val_loss"]) <= 0.5 * keras["val_loss"]
    assert ember["checkpoints"] == keras["checkpoints"]  # real .keras files, one per epoch


def test_serialization_and_saving(results):
    ember = dict(_ember(results, "serialization_and_saving"))
    keras = dict(_keras(results, "serialization_and_saving"))
    # Dense's config: ember has activity_regularizer (Keras 2's key), Keras 3 a
    # quantization_config; the nested layer in MyDense's config comes back as a layer on
    # ember, as the dict Keras leaves it; ember keeps the registered name in class_name
    for key in ("dense_config_keys", "mydense_back", "registered_name"):
        ember.pop(key), keras.pop(key)
    reg_e, reg_k = ember.pop("regularizer_back"), keras.pop("regularizer_back")
    assert reg_e[0] == reg_k[0] and abs(reg_e[1] - reg_k[1]) < 1e-7
    cfg_e, cfg_k = ember.pop("regularizer_config"), keras.pop("regularizer_config")
    assert cfg_e[0] == cfg_k[0] and abs(cfg_e[1]["l1"] - cfg_k[1]["l1"]) < 1e-7
    assert ember == keras


def test_antirectifier(results):
    r = _ember(results, "antirectifier")
    assert r["accuracy"] > 0.7 and r["rebuilt"] == "Antirectifier"
    assert r["config_initializer"] == "HeNormal"


def test_endpoint_layer_pattern(results):
    r = _ember(results, "endpoint_layer_pattern")
    for part in ("functional", "subclassed"):
        assert sorted(r[part]) == ["accuracy", "loss"]  # add_metric's metric in the logs
        assert r[part]["loss"][-1] < r[part]["loss"][0]
    assert r["preds_shape"] == [1000, 1]


def test_regression(results):
    r = _ember(results, "regression")
    assert r["dnn_model"] < r["linear_model"] and r["dnn_horsepower_model"] < 6.0
    # the .keras file keeps the compile configuration, so the reloaded model evaluates
    assert r["reloaded"] == pytest.approx(r["dnn_model"], rel=1e-6)


def test_classification(results):
    ember = _ember(results, "classification")
    keras = _keras(results, "classification")
    assert ember["row_sums"] < 1e-5 and ember["single_shape"] == keras["single_shape"]
    assert abs(ember["test_acc"] - keras["test_acc"]) < 0.05, (ember, keras)
    assert abs(ember["test_loss"] - keras["test_loss"]) <= 0.25 * keras["test_loss"]


def test_vae(results):
    r = _ember(results, "vae")
    h = r["history"]
    assert sorted(h) == ["kl_loss", "loss", "reconstruction_loss"]  # the model's own metrics
    assert h["loss"][-1] < h["loss"][0]
    assert r["figure"] == [140, 140] and r["z_mean"] == [1000, 2]


def test_quickstart_beginner(results):
    r = _ember(results, "quickstart_beginner")
    assert r["accuracy"] > 0.8 and r["probs_shape"] == [5, 10]
    assert 1.0 < r["first_loss"] < 4.0  # about log(10) for an untrained model


def test_quickstart_advanced(results):
    epochs = _ember(results, "quickstart_advanced")["epochs"]
    assert epochs[-1][0] < epochs[0][0] and epochs[-1][1] > 0.8


def test_functional_api(results):
    ember = dict(_ember(results, "functional_api"))
    keras = dict(_keras(results, "functional_api"))
    assert ember["reloaded_test"] == pytest.approx(ember["mnist_test"], rel=1e-6)
    (le, ae), (lk, ak) = ember.pop("mnist_test"), keras.pop("mnist_test")
    ember.pop("reloaded_test"), keras.pop("reloaded_test")
    assert abs(ae - ak) < 0.05 and abs(le - lk) <= 0.25 * lk, (le, ae, lk, ak)
    # VGG19's 26 feature maps by layer.output, nested models, layers.add/average, shared
    # Embedding, Model.from_config with custom_objects, a custom RNN layer
    assert ember == keras


def test_trainer_pattern(results):
    r = _ember(results, "trainer_pattern")
    for part in ("first", "second"):  # compiled_loss / compiled_metrics (tf.keras)
        h = r[part]
        assert sorted(h) == ["accuracy", "loss", "val_accuracy", "val_loss"]
        assert h["loss"][-1] < h["loss"][0]
    assert r["second"]["val_accuracy"][-1] > 0.8


def test_timeseries_classification(results):
    ember = _ember(results, "timeseries_classification")
    keras = _keras(results, "timeseries_classification")
    he, hk = ember["history"], keras["history"]
    assert sorted(he) == sorted(hk)  # ReduceLROnPlateau logs learning_rate in both
    assert abs(he["accuracy"][-1] - hk["accuracy"][-1]) < 0.15, (he, hk)
    assert abs(he["loss"][-1] - hk["loss"][-1]) <= 0.35 * hk["loss"][-1], (he, hk)
    assert 0.0 <= ember["test_accuracy"] <= 1.0  # the best .h5 checkpoint reloaded


def test_addition_rnn(results):
    ember = _ember(results, "addition_rnn")
    keras = _keras(results, "addition_rnn")
    for key in ("accuracy", "val_accuracy"):
        assert abs(ember[key] - keras[key]) < 0.1, (key, ember, keras)
    for key in ("loss", "val_loss"):
        assert abs(ember[key] - keras[key]) <= 0.25 * keras[key], (key, ember, keras)


def test_masking_and_padding(results):
    ember = _ember(results, "masking_and_padding")
    assert ember == _keras(results, "masking_and_padding")


def test_intro_to_keras_for_engineers(results):
    ember = dict(_ember(results, "intro_to_keras_for_engineers"))
    keras = dict(_keras(results, "intro_to_keras_for_engineers"))
    # the reloaded .keras file is compiled again from its compile_config
    assert ember["reloaded_score"] == pytest.approx(ember["score"], rel=1e-5)
    assert abs(ember.pop("score")[1] - keras.pop("score")[1]) < 0.15
    ember.pop("reloaded_score"), keras.pop("reloaded_score")
    assert ember == keras  # validation_data as a DataLoader and as a tf.data Dataset


def test_custom_layers(results):
    r = _ember(results, "custom_layers")
    # the tutorial's own numbers: 6 sublayers and 18 variables in the block, 41 parameters
    assert r == {"dense": [2, [5, 10], [10]], "my_dense": ["kernel", [10, 10]],
                 "block": [6, 18, [1, 2, 3, 3]], "seq": [[1, 2, 3, 3], 41]}
