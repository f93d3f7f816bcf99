"""The top-level namespace and Sequential's graph: ``ember.__init__`` names only submodules that
exist, ``hasattr(em, name)`` never raises, and ``Sequential.add`` extends the graph instead of
rebuilding it, so the input is named "input_layer" as Keras names it."""

from __future__ import annotations

import importlib
import os
import warnings

import pytest

import ember as em


def test_every_listed_submodule_exists():
    missing = [name for name in sorted(em._SUBMODULES)
               if importlib.util.find_spec(f"ember.{name}") is None]
    assert not missing, f"ember._SUBMODULES names modules that do not exist: {missing}"


@pytest.mark.parametrize("name", sorted(set(dir(em)) | em._SUBMODULES | set(em._LAZY_NAMES)))
def test_hasattr_never_raises_for_a_listed_name(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert hasattr(em, name) in (True, False)  # the call itself must not raise


@pytest.mark.parametrize("name", ["io", "no_such_thing", "__wrapped__", "Layer"])
def test_a_missing_name_is_an_attribute_error(name):
    assert hasattr(em, name) is False
    with pytest.raises(AttributeError, match=f"module 'ember' has no attribute '{name}'"):
        getattr(em, name)


def test_dir_lists_the_lazy_submodules():
    assert {"layers", "metrics", "models", "utils"} <= set(dir(em))


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def _dense_stack(layers):
    return [layers.Dense(3), layers.Dense(2), layers.Dense(1)]


def test_three_layer_sequential_input_is_named_input_layer_as_in_keras():
    keras = _keras()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras warns about input_shape= on a layer
        keras.backend.clear_session()
        k_list = keras.Sequential([keras.layers.Dense(3, input_shape=(4,)),
                                   keras.layers.Dense(2), keras.layers.Dense(1)])
        k_list_name = k_list._layers[0].name
        keras.backend.clear_session()
        k_added = keras.Sequential()
        k_added.add(keras.Input((4,)))
        for layer in _dense_stack(keras.layers):
            k_added.add(layer)
        k_added_name = k_added.inputs[0]._keras_history[0].name
    em.utils.clear_session()
    e_list = em.Sequential([em.layers.Dense(3, input_shape=(4,)), em.layers.Dense(2),
                            em.layers.Dense(1)])
    e_list_name = e_list.inputs[0].node.layer.name
    em.utils.clear_session()
    e_added = em.Sequential()
    e_added.add(em.Input((4,)))
    for layer in _dense_stack(em.layers):
        e_added.add(layer)
    e_added_name = e_added.inputs[0].node.layer.name
    assert (e_list_name, e_added_name) == (k_list_name, k_added_name) == ("input_layer",) * 2
    assert [layer.name for layer in e_list.layers] == ["dense", "dense_1", "dense_2"]


def test_add_builds_only_the_new_layer():
    model = em.Sequential([em.layers.Dense(3, input_shape=(4,)), em.layers.Dense(2)])
    first_input = model.input
    builds = []
    for layer in model.layers:
        original = layer._build_from_shape
        layer._build_from_shape = lambda shape, original=original: (builds.append(shape),
                                                                    original(shape))
    added = em.layers.Dense(5)
    model.add(added)
    assert builds == []  # the layers already there are neither rebuilt nor re-called
    assert model.input is first_input and added.output is model.output
    assert model.output.shape == (None, 5) and model.output_shape == (None, 5)
    assert model.predict(em.ones((2, 4)).numpy(), verbose=0).shape == (2, 5)
    model.pop()
    assert model.output.shape == (None, 2) and model.input.node.layer.name == \
        first_input.node.layer.name


def test_a_submodule_that_fails_to_import_is_an_attribute_error(monkeypatch):
    import sys

    monkeypatch.setattr(em, "_SUBMODULES", em._SUBMODULES | {"tune"})
    monkeypatch.delattr(em, "tune", raising=False)
    monkeypatch.setitem(sys.modules, "ember.tune", None)  # makes its import raise ImportError
    assert hasattr(em, "tune") is False
    with pytest.raises(AttributeError, match="importing ember.tune failed"):
        em.tune  # noqa: B018
