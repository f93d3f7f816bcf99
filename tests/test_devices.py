"""Devices: ``em.device`` objects and scopes, ``em.cuda``, moving tensors and models, the clear
errors where CUDA is missing, and (on a machine with a GPU) CUDA results equal to the CPU's.

Most of it runs without a GPU. Where a second device is needed, ``fake_gpu`` stands one in:
``FakeGpuArray`` is a NumPy array whose type the backend takes for CuPy's (its module name
starts with "cupy"), and ``backend.cupy_module`` returns a stand-in module whose functions are
NumPy's with the results viewed as FakeGpuArray. As CuPy does, its ufuncs refuse host (NumPy)
arrays. The arithmetic is NumPy's: this checks ember's device bookkeeping (what moves, what
stays, what is refused), not CuPy; the ``requires_cuda`` tests check CuPy itself.
"""

from __future__ import annotations

import sys
import threading
import types

import numpy as np
import pytest

import ember as em
from ember import backend
from ember.ops.conv import conv2d
from fake_gpu import FakeCupy, FakeGpuArray

requires_cuda = pytest.mark.skipif(not em.cuda.is_available(),
                                   reason="needs CuPy and an NVIDIA GPU (em.cuda.is_available() "
                                          "is False)")
HINT = r"pip install 'ember\[gpu\]'"


@pytest.fixture
def fake_gpu(monkeypatch):
    fake = FakeCupy()
    monkeypatch.setattr(backend, "cupy_module", lambda: fake)
    return fake


@pytest.fixture
def no_cupy(monkeypatch):
    """CuPy missing, even on a machine that has it (``import cupy`` raises ImportError)."""
    monkeypatch.setitem(sys.modules, "cupy", None)


def _data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _mlp():
    return em.Sequential([em.layers.Dense(8, activation="relu", input_shape=(4,)),
                          em.layers.Dense(3, activation="softmax")])


# ---------------------------------------------------------------------- Device objects
def test_device_parses_prints_and_compares_with_strings():
    d = em.device("cuda:1")
    assert (d.type, d.index, str(d), repr(d)) == ("cuda", 1, "cuda:1",
                                                  "device(type='cuda', index=1)")
    assert str(em.device("GPU")) == "cuda" and str(em.device("cuda", 2)) == "cuda:2"
    assert em.device(em.device("cpu")) == "cpu" and "cpu" == em.device("cpu")
    assert isinstance(d, em.device)
    # a tensor's device is "cuda" (no index): it equals every GPU; named GPUs must agree
    assert em.device("cuda") == "cuda:3" and em.device("cuda:0") == "cuda"
    assert em.device("cuda:0") != "cuda:1" and em.device("cpu") != "cuda"
    assert em.device("cpu") != 3 and len({em.device("cuda"), em.device("cuda:0")}) == 1


@pytest.mark.parametrize("spec, error", [
    ("tpu", ValueError), ("cuda:", ValueError), ("cuda:x", ValueError), ("cpu:1", ValueError),
    (3, TypeError), (("cuda:1", 2), ValueError), (("cuda", -1), ValueError)])
def test_bad_devices_are_refused_clearly(spec, error):
    args = spec if isinstance(spec, tuple) else (spec,)
    with pytest.raises(error, match="em.device"):
        em.device(*args)


def test_default_device_is_cpu_and_scopes_nest_and_unwind():
    assert em.devices.default_device() == "cpu" and em.devices.scoped_device() is None
    with em.device("cpu") as d:
        assert d == "cpu" and em.devices.scoped_device() == "cpu"
        with pytest.raises(KeyError), em.device("cpu"):
            raise KeyError("inside")
        assert em.devices.scoped_device() == "cpu"
        assert em.zeros(2).device == "cpu" and em.tensor([1.0]).device == "cpu"
    assert em.devices.scoped_device() is None


def test_scopes_are_per_thread():
    seen = []
    with em.device("cpu"):
        t = threading.Thread(target=lambda: seen.append(em.devices.scoped_device()))
        t.start()
        t.join()
    assert seen == [None]


# ---------------------------------------------------------------------- CUDA missing
def test_cuda_queries_answer_without_cupy(no_cupy):
    assert em.cuda.is_available() is False and em.cuda.device_count() == 0
    assert em.cuda.synchronize() is None and em.cuda.empty_cache() is None
    for ask in (em.cuda.get_device_name, em.cuda.current_device):
        with pytest.raises(RuntimeError, match=HINT):
            ask()


@pytest.mark.parametrize("ask", [
    lambda: em.zeros(2, device="cuda"), lambda: em.tensor([1.0], device="cuda"),
    lambda: em.randn(2, device="cuda:0"), lambda: em.ones(2).to("cuda"),
    lambda: em.ones(2).cuda(), lambda: em.device("cuda").__enter__(),
    lambda: _mlp().to("cuda"), lambda: em.layers.Dense(2).cuda()],
    ids=["zeros", "tensor", "randn", "to", "cuda", "scope", "model.to", "layer.cuda"])
def test_asking_for_cuda_without_cupy_names_the_extra(no_cupy, ask):
    with pytest.raises(RuntimeError, match=HINT):
        ask()
    assert em.devices.default_device() == "cpu"  # a refused scope is not left entered


def test_cupy_without_a_gpu_reads_as_unavailable_with_the_hint(monkeypatch):
    def no_device():
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    cupy = types.SimpleNamespace(cuda=types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=no_device)))
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    assert em.cuda.is_available() is False and em.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match=f"no usable NVIDIA GPU.*{HINT}"):
        em.device("cuda").__enter__()


def test_a_refused_model_move_moves_nothing(no_cupy):
    model = _mlp()
    before = [w.numpy() for w in model.weights]
    with pytest.raises(RuntimeError, match=HINT):
        model.to("cuda")
    assert model.device == "cpu" and all(w.device == "cpu" for w in model.weights)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights))


def test_the_gpu_benchmark_section_says_it_skipped(no_cupy, capsys):
    gpu = pytest.importorskip("benchmarks.gpu")
    assert gpu.main(["--steps", "1"]) == 0
    assert "no GPU: skipped" in capsys.readouterr().out

# ---------------------------------------------------------------------- CPU: nothing moves
def test_tensor_to_cpu_is_a_no_op():
    t = em.tensor([1.0, 2.0], requires_grad=True)
    assert t.to("cpu") is t and t.cpu() is t and t.to(em.device("cpu")) is t
    assert t.device == "cpu" and np.shares_memory(t.numpy(), t.data)


def test_model_to_cpu_round_trip_keeps_the_same_variables():
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.train_on_batch(_data(6, 4), np.arange(6) % 3)
    weights = model.weights
    values = [w.numpy() for w in weights]
    versions = [w._version for w in weights]
    assert model.to("cpu") is model and model.cpu() is model and model.device == "cpu"
    assert all(a is b for a, b in zip(model.weights, weights))
    assert [w._version for w in weights] == versions  # nothing moved, nothing bumped
    assert all(np.array_equal(v, w.numpy()) for v, w in zip(values, weights))


def test_an_unbuilt_layer_reports_the_default_device():
    layer = em.layers.Dense(3)
    assert layer.device == "cpu" and layer.to("cpu").device == "cpu"


def test_a_layer_may_still_keep_its_own_device_attribute():
    class Custom(em.layers.Layer):
        def __init__(self):
            super().__init__()
            self.device = "my-accelerator"  # as user code written for Keras may do

    assert Custom().device == "my-accelerator" and em.layers.Dense(2).device == "cpu"


def test_saved_arrays_are_numpy():
    model = _mlp()
    arrays = em.saving.weight_arrays(model)
    assert arrays and all(type(a) is np.ndarray for a in arrays.values())


# ---------------------------------------------------------------------- the stand-in GPU
def test_mixing_devices_names_the_op_and_the_fix(fake_gpu):
    cpu, gpu = em.tensor([1.0, 2.0]), em.tensor([1.0, 2.0]).to("cuda")
    assert gpu.device == "cuda" and type(gpu.data) is FakeGpuArray
    with pytest.raises(RuntimeError, match=r"^add: operands are on different devices \(cpu "
                                           r"and cuda\): move one with \.to\('cuda'\) / "
                                           r"\.to\('cpu'\)$"):
        cpu + gpu
    with pytest.raises(RuntimeError, match=r"^matmul: .*\(cuda and cpu\)"):
        em.matmul(gpu.reshape(1, 2), cpu.reshape(2, 1))
    with pytest.raises(RuntimeError, match=r"^maximum: "):
        em.maximum(cpu, gpu)
    assert (gpu * 2.0 + gpu).device == "cuda"  # numbers and same-device tensors are fine
    np.testing.assert_array_equal((gpu * 2.0 + gpu).numpy(), [3.0, 6.0])


def test_gradients_flow_back_across_a_move(fake_gpu):
    x = em.tensor([1.0, 2.0], requires_grad=True)
    y = x.cuda() * em.tensor([3.0, 4.0], device="cuda")
    assert y.device == "cuda"
    y.sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])
    assert y.cpu().device == "cpu" and type(y.numpy()) is np.ndarray


def test_a_cuda_scope_places_new_tensors_and_weights(fake_gpu):
    with em.device("cuda"):
        assert em.devices.default_device() == "cuda"
        made = [em.zeros(2), em.ones((2, 2)), em.tensor([1.0]), em.full((2,), 3.0),
                em.arange(3), em.eye(2)]
        assert all(t.device == "cuda" for t in made)
        assert em.from_numpy(np.ones(2)).device == "cpu"  # shares memory: stays
        dense = em.layers.Dense(3)
        out = dense(_data(2, 4))  # NumPy input follows the scope too
        with em.device("cpu"):
            assert em.zeros(1).device == "cpu"
    assert out.device == "cuda" and all(w.device == "cuda" for w in dense.weights)
    assert dense.device == "cuda" and em.zeros(2).device == "cpu"


def test_model_to_moves_weights_in_place_and_the_optimizer_state(fake_gpu):
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    x, y = _data(6, 4), np.arange(6) % 3
    model.train_on_batch(x, y)  # Adam's slots now exist, on the CPU
    weights, values = model.weights, [w.numpy() for w in model.weights]
    assert model.to("cuda") is model and model.device == "cuda"
    assert all(a is b for a, b in zip(model.weights, weights))
    assert all(type(w.data) is FakeGpuArray for w in weights)
    slots = [a for s in model.optimizer._slots if s for a in s.values()]
    assert slots and all(type(a) is FakeGpuArray for a in slots)
    assert all(np.array_equal(v, w.numpy()) for v, w in zip(values, weights))
    model.train_on_batch(x, y)  # a step on the new device keeps everything there
    assert all(w.device == "cuda" for w in model.weights)
    model.to("cpu")
    assert all(type(w.data) is np.ndarray for w in weights)
    assert all(type(a) is np.ndarray for s in model.optimizer._slots if s for a in s.values())


def test_a_model_moved_before_it_is_built_builds_on_that_device(fake_gpu):
    model = em.Sequential([em.layers.Dense(4), em.layers.Dense(2)]).to("cuda")
    assert model.device == "cuda" and not model.built
    out = model(_data(3, 5))
    assert out.device == "cuda" and [w.device for w in model.weights] == ["cuda"] * 4


ARCHITECTURES = pytest.mark.parametrize("build, shape", [
    (_mlp, (4,)),
    (lambda: em.Sequential([em.layers.Conv2D(3, 3, padding="same", activation="relu"),
                            em.layers.MaxPooling2D(), em.layers.Flatten(),
                            em.layers.Dense(3, activation="softmax")]), (6, 6, 1)),
    (lambda: em.Sequential([em.layers.LSTM(5), em.layers.Dense(3, activation="softmax")]),
     (5, 4))], ids=["dense", "conv", "lstm"])


def _fit_matches_the_cpu(build, shape, optimizer, rtol, atol):
    """Train the same seeded model on the CPU and on "cuda"; histories, predictions and
    evaluations must agree, and no weight may fall back to the CPU on the way."""
    x, y = _data(24, *shape), np.arange(24) % 3
    results = {}
    for device in ("cpu", "cuda"):
        em.utils.set_random_seed(0)
        model = build()
        model.build((None,) + shape)
        model.to(device).compile(optimizer(), "sparse_categorical_crossentropy",
                                 metrics=["accuracy"])
        hist = model.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_split=0.25)
        assert all(w.device == device for w in model.weights)
        results[device] = (hist.history, model.predict(x, verbose=0),
                           model.evaluate(x, y, verbose=0))
    (h_cpu, p_cpu, e_cpu), (h_gpu, p_gpu, e_gpu) = results["cpu"], results["cuda"]
    assert type(p_gpu) is np.ndarray
    np.testing.assert_allclose(p_gpu, p_cpu, rtol=rtol, atol=atol)
    np.testing.assert_allclose(e_gpu, e_cpu, rtol=rtol, atol=atol)
    for key in h_cpu:
        np.testing.assert_allclose(h_gpu[key], h_cpu[key], rtol=rtol, atol=atol)


@ARCHITECTURES
def test_fit_on_the_stand_in_gpu_equals_the_cpu(fake_gpu, build, shape):
    _fit_matches_the_cpu(build, shape, lambda: "adam", rtol=1e-6, atol=1e-7)


def test_saved_on_the_gpu_loads_on_a_cpu_only_machine(fake_gpu, monkeypatch, tmp_path):
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    x = _data(5, 4)
    model.train_on_batch(x, np.arange(5) % 3)
    model.to("cuda")
    expected = model.predict(x, verbose=0)
    path = tmp_path / "gpu.ember"
    model.save(path)
    monkeypatch.undo()  # now a machine without the stand-in GPU...
    monkeypatch.setitem(sys.modules, "cupy", None)  # ...and without CuPy
    assert not em.cuda.is_available()
    loaded = em.models.load_model(path)
    assert loaded.device == "cpu" and all(type(w.data) is np.ndarray for w in loaded.weights)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)
    assert loaded.optimizer is not None and loaded.optimizer.iterations == 1


def test_batch_and_model_device_helpers(fake_gpu):
    batch = em.devices.move_batch([np.ones(2), None, em.tensor([1.0])], "cuda")
    assert type(batch[0]) is FakeGpuArray and batch[1] is None and batch[2].device == "cuda"
    assert em.devices.move_batch(None, "cuda") is None
    assert em.devices.model_device(_mlp()) == "cpu"
    assert em.devices.model_device(_mlp().to("cuda")) == "cuda"


def test_cuda_queries_with_a_gpu(fake_gpu):
    assert em.cuda.is_available() and em.cuda.device_count() == 1
    assert em.cuda.get_device_name() == "Fake GPU" == em.cuda.get_device_name("cuda:0")
    assert em.cuda.current_device() == 0 and em.cuda.synchronize() is None
    with pytest.raises(ValueError, match="em.cuda"):
        em.cuda.get_device_name("cpu")


# ---------------------------------------------------------------------- a real GPU
@requires_cuda
def test_real_gpu_ops_equal_the_cpu():
    x, w = _data(8, 6), _data(6, 5, seed=1)
    img, k = _data(2, 7, 7, 3, seed=2), _data(3, 3, 3, 4, seed=3)
    labels = np.arange(8) % 5
    for device in ("cpu", "cuda"):
        xs = [em.tensor(a, device=device, requires_grad=True) for a in (x, w, img, k)]
        logits = em.matmul(xs[0], xs[1]).tanh()
        loss = em.softmax_cross_entropy(logits, em.tensor(labels, device=device)).mean()
        loss = loss + (conv2d(xs[2], xs[3]) ** 2).mean()
        loss.backward()
        assert loss.device == device and all(t.grad.device == device for t in xs)
        if device == "cpu":
            ref = [loss.numpy()] + [t.grad.numpy() for t in xs]
        else:
            got = [loss.numpy()] + [t.grad.numpy() for t in xs]
            for a, b in zip(got, ref):
                np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@requires_cuda
@ARCHITECTURES
def test_real_gpu_fit_equals_the_cpu(build, shape):
    # SGD, not Adam: Adam's first steps follow the sign of each gradient, and a gradient near 0
    # may take either sign under a different summation order
    _fit_matches_the_cpu(build, shape, lambda: em.optimizers.SGD(0.05, momentum=0.9),
                         rtol=1e-3, atol=1e-4)


@requires_cuda
def test_real_gpu_model_saves_numpy_and_loads_on_the_cpu(tmp_path):
    x, y = _data(32, 4), np.arange(32) % 3
    model = _mlp().to("cuda")
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    expected = model.predict(x, verbose=0)
    assert all(type(a) is np.ndarray for a in em.saving.weight_arrays(model).values())
    model.save(tmp_path / "gpu.ember")
    loaded = em.models.load_model(tmp_path / "gpu.ember")  # built outside any scope: the CPU
    assert loaded.device == "cpu" and loaded.optimizer.iterations == 4
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-6)
