"""A stack of Dense layers run as one kernel: the trainer's step and ``predict`` replayed on
plain arrays from a plan captured once, with preallocated buffers per batch size.

The model this takes is the course's first network and the Keras / TensorFlow quickstart's:
``Sequential([Input, Flatten, Dense(relu), ..., Dense(10, softmax)])``, or the same chain built
with the functional API (hidden activations relu or linear, a ``Dropout`` after a hidden
layer: the TensorFlow quickstart's network), trained with
``sparse_categorical_crossentropy`` or ``categorical_crossentropy`` on one-hot (or soft)
targets, label smoothing included (on the softmax, or ``from_logits=True`` on a linear last
layer). Through the layers, each step is a few dozen NumPy calls wrapped in Layer calls,
Tensors, graph nodes, a topological sort and backward closures; here it is the same NumPy
calls in the same order (so the same weights, bit for bit: ``tests/test_kernel_dense_chain.py``)
and nothing else. The optimizer, the metrics, the NaN guard and the callbacks are the
trainer's, unchanged: the plan only replaces forward, loss and backward.

Which models qualify is decided above the kernels, in ``ember.models.chain_step``; anything
else declines there (or ``accepts`` / ``labels`` / ``usable`` say no) and the layers run:
another layer or activation, a Dropout with a seed or noise_shape, regularizers,
constraints, mixed precision, sample or class weights, weights that are not plain NumPy
arrays of one float dtype, inputs of another shape, labels out of range (the layers raise the
error that names them), a layer whose ``call`` was replaced on the instance (``ember.explain``
watching it), the Doctor, a LossScaleOptimizer. The weights are read from the layers on every
call, so ``set_weights`` or ``load_weights`` between steps is seen.
Gradients and logits are fresh arrays each step, as the layers' (a callback may keep them);
only the hidden activations and their gradients are reused.

Measured (Intel Xeon, 2 cores, batch 32, Adam, MNIST; ``python -m
benchmarks.bench_dense_chain``, medians, in-process A/B against the layers): 784-128-10, a
training step 394 against 548 us and a predict pass over 10,000 images 20.4 against 28.9 ms
(0.72x, 0.71x); at width 2048 (products and Adam dominate) 2.95 against 3.09 ms a step, and
predict the same. The TensorFlow quickstart's 784-128-Dropout(0.2)-10 with from_logits: 527
against 691 us a step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.kernels.registry import replaces
from ember.ops.nn import _softmax_array
from ember.ops.reduction import max_kept


class DenseChain:
    """The captured plan of one stack: each layer's units, whether a relu follows it and the
    rate of a dropout after it (training only), the last layer's activation, the input sample
    shape, the float dtype, and scratch arrays per batch size. The weights are passed in on
    every call, as [(kernel, bias or None), ...]."""

    def __init__(self, units: list[int], relu: list[bool], last: str, sample_shape: tuple,
                 dtype: Any, dropout: list[float] | None = None, categorical: bool = False,
                 label_smoothing: float = 0.0) -> None:
        self.units = list(units)
        self.relu = list(relu)
        self.dropout = list(dropout or [0.0] * len(units))  # the rate after each layer
        self.last = last
        self.classes = self.units[-1]
        self.sample_shape = tuple(sample_shape)
        self.dtype = np.dtype(dtype)
        # the loss: sparse labels, or one-hot / soft targets mixed with the uniform
        # distribution by label_smoothing (ops.nn.softmax_cross_entropy's two forms)
        self.categorical = bool(categorical)
        self.label_smoothing = float(label_smoothing)
        self._scratch: dict[int, tuple] = {}
        self._saved: tuple | None = None

    # ------------------------------------------------------------------ checks per call
    def usable(self, weights: list) -> bool:
        """Whether every array of ``weights`` is a plain C-contiguous NumPy array of the
        plan's dtype."""
        return all(a is None or (type(a) is np.ndarray and a.dtype == self.dtype
                                 and a.flags.c_contiguous) for pair in weights for a in pair)

    def accepts(self, x: Any) -> bool:
        """Whether ``x`` is a NumPy batch of the model's sample shape (any real dtype: it is
        converted as the first layer converts it)."""
        return (type(x) is np.ndarray and x.ndim == len(self.sample_shape) + 1 and len(x) > 0
                and x.shape[1:] == self.sample_shape and x.dtype.kind in "biuf")

    def labels(self, y: Any) -> Any:
        """``y`` as the loss takes it: (batch,) integer labels in range, or for the categorical
        loss (batch, classes) targets in the plan's dtype (as ``losses._inputs.as_true``
        converts them); None otherwise (the layers then run and raise the loss' own error)."""
        if self.categorical:
            if type(y) is not np.ndarray or y.dtype.kind not in "biuf" or y.ndim != 2 \
                    or y.shape[1] != self.classes:
                return None
            return np.asarray(y, dtype=self.dtype)
        if type(y) is not np.ndarray or y.dtype.kind not in "iu":
            return None
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.reshape(-1)
        if y.ndim != 1 or not y.size or y.min() < 0 or y.max() >= self.classes:
            return None
        return y

    def _buffers(self, n: int) -> tuple:
        bufs = self._scratch.get(n)
        if bufs is None:
            dt = self.dtype
            hidden = [np.empty((n, u), dt) for u in self.units[:-1]]
            grads = [np.empty((n, u), dt) for u in self.units[:-1]]
            logits = [np.empty((n, self.classes), dt) for _ in range(4)]
            bufs = self._scratch[n] = (hidden, grads, logits, np.arange(n))
        return bufs

    def _input(self, x: np.ndarray) -> np.ndarray:
        a = x.reshape(len(x), -1)  # Flatten: a view
        return a if a.dtype == self.dtype else a.astype(self.dtype)

    # ------------------------------------------------------------------ training
    def forward(self, x: np.ndarray, labels: np.ndarray, weights: list,
                rng: Any = None) -> tuple:
        """The mean loss (a float), the logits and, for a softmax layer, its probabilities
        (fresh arrays, for the metrics; else None); keeps what ``backward`` needs. ``rng``
        draws the dropout masks (the layers' generator, in their order). The arithmetic is
        ``Dense`` through ``kernels.dense_relu``, ``ops.nn.dropout`` and
        ``ops.nn.softmax_cross_entropy`` (sparse labels, reduction "mean"; or targets,
        reduction "none", then ``ops.mean`` as the loss' "sum_over_batch_size"), whose e / s
        are the softmax's probabilities bit for bit (``ops.nn._softmax_array``)."""
        n = len(x)
        hidden, _, (shifted, e, logp, p), rows = self._buffers(n)
        a = self._input(x)
        ins, outs, masks = [], [], []
        last = len(weights) - 1
        for i, (k, b) in enumerate(weights):
            ins.append(a)
            out = np.matmul(a, k) if i == last else np.matmul(a, k, out=hidden[i])
            if b is not None:
                out += b
            if self.relu[i]:
                np.maximum(out, 0, out=out)
            outs.append(out)
            rate = self.dropout[i]
            if rate:  # the mask ops.nn.dropout draws
                keep = rng.random(out.shape, dtype="float32") >= rate
                mask = keep.astype(self.dtype) * (1.0 / (1.0 - rate))
                masks.append(mask)
                out = out * mask
            else:
                masks.append(None)
            a = out
        np.subtract(a, max_kept(a, 1), out=shifted)
        np.exp(shifted, out=e)
        s = e.sum(axis=1, keepdims=True)
        np.subtract(shifted, np.log(s), out=logp)
        if self.categorical:
            if self.label_smoothing:
                ls = self.label_smoothing
                labels = labels * (1 - ls) + ls / self.classes
            loss = -(labels * logp).sum(axis=1)
            value = loss.mean()  # ops.mean's arithmetic: the sum, then / n
        else:
            loss = -logp[rows, labels]
            value = loss.sum() / n
        self._saved = (ins, outs, masks, s, labels)
        probs = np.divide(e, s) if self.last == "softmax" else None
        return float(value), a, probs

    def backward(self, weights: list) -> list:
        """The gradients [kernel, bias, ...] in the layers' weight order (fresh arrays)."""
        ins, outs, masks, s, labels = self._saved
        self._saved = None
        n = len(labels)
        _, gbuf, (_, e, _, p), rows = self._buffers(n)
        np.divide(e, s, out=p)
        if self.categorical:  # d/dz of -sum(t * logp) = p * sum(t) - t
            p *= labels.sum(axis=1, keepdims=True)
            p -= labels
        else:
            p[rows, labels] -= 1.0
        p *= np.asarray(1.0, self.dtype) * (1.0 / n)  # the seed 1 times d(mean)/d(loss_i)
        g = p
        grads: list = []
        for i in range(len(weights) - 1, -1, -1):
            k, b = weights[i]
            if masks[i] is not None:
                g = g * masks[i]
            if self.relu[i]:
                np.multiply(g, outs[i] > 0, out=g)
            if i:
                gx = np.matmul(g, k.T, out=gbuf[i - 1])
            layer = [np.matmul(ins[i].T, g)]
            if b is not None:
                layer.append(g.sum(axis=0))
            grads[:0] = layer
            if i:
                g = gx
        return grads

    # ------------------------------------------------------------------ inference
    def predict(self, x: np.ndarray, batch_size: int, weights: list) -> np.ndarray:
        """The model's outputs for ``x``, ``batch_size`` rows at a time: the last layer's
        products go straight into the result, whose bias and activation are applied once
        over all rows at the end (they act row by row)."""
        n = len(x)
        k_last, b_last = weights[-1]
        out = np.empty((n, self.classes), self.dtype)
        hidden = self._buffers(min(batch_size, n))[0]
        for start in range(0, n, batch_size):
            a = self._input(x[start:start + batch_size])
            m = len(a)
            for i, (k, b) in enumerate(weights[:-1]):
                h = np.matmul(a, k, out=hidden[i][:m])
                if b is not None:
                    h += b
                if self.relu[i]:
                    np.maximum(h, 0, out=h)
                a = h
            np.matmul(a, k_last, out=out[start:start + m])
        if b_last is not None:
            out += b_last
        if self.last == "relu":
            np.maximum(out, 0, out=out)
        elif self.last == "softmax":
            out = _softmax_array(out, -1)
        return out


@replaces("dense_chain")
def dense_chain(units: list[int], relu: list[bool], last: str, sample_shape: tuple,
                dtype: Any, dropout: list[float] | None = None, categorical: bool = False,
                label_smoothing: float = 0.0) -> DenseChain:
    """A plan for a stack of ``len(units)`` Dense layers (``relu[i]``: layer i's activation is
    relu, else linear; ``last``: the last layer's, "linear", "relu" or "softmax";
    ``dropout[i]``: the rate of a dropout after layer i in training, 0 for none), trained
    with sparse labels or, ``categorical``, one-hot / soft targets (``label_smoothing``).

    Example:
        >>> import numpy as np
        >>> chain = dense_chain([3, 2], [True, False], "softmax", (4,), "float64")
        >>> rng = np.random.default_rng(0)
        >>> w = [(rng.standard_normal((4, 3)), np.zeros(3)), (rng.standard_normal((3, 2)), None)]
        >>> chain.predict(np.ones((5, 4)), 2, w).sum(axis=1).round(6).tolist()
        [1.0, 1.0, 1.0, 1.0, 1.0]
    """
    return DenseChain(units, relu, last, sample_shape, dtype, dropout, categorical,
                      label_smoothing)
