"""``predict``: the model's outputs for in-memory data or a generator, batch by batch,
without recording a graph (the training loop lives in ``fit_loop.py``)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ember import backend, heap
from ember.autograd.mode import no_grad
from ember.autograd.tensor import Tensor
from ember.callbacks.base import CallbackList
from ember.callbacks.progbar import closing_line, resolve_verbose
from ember.devices import model_device, move_batch
from ember.models import chain_step
from ember.models import data_adapter as da
from ember.models import fit_inputs as fi
from ember.models.compile_utils import as_list


def _predict_inputs(batches: Any, device: str, model: Any = None) -> Any:
    """What ``predict`` calls the model with, batch after batch: for one in-memory array,
    plain slices (views, no per-batch lists); the model's call wraps them."""
    if isinstance(batches, da.ArrayBatches) and len(batches.xs) == 1 and device == "cpu":
        x, bs = batches.xs[0], batches.batch_size
        return (x[i:i + bs] for i in range(0, batches.n, bs))
    moved = (b[0] if device == "cpu" else move_batch(b[0], device) for b in batches)
    return (fi.model_inputs(model, xb) for xb in moved)


def predict(model: Any, x: Any, batch_size: int | None = None, verbose: Any = "auto",
            steps: int | None = None, callbacks: Any = None) -> Any:
    """See ``Model.predict``."""
    fi.require_x(x, "predict")
    fi.check_positive(batch_size, "batch_size", "predict", " or None (32)")
    fi.check_positive(steps, "steps", "predict", " or None")
    if da.is_batch_iterable(x):
        batches = da.IterableBatches(x, steps, who="predict")
    else:
        fi.remember_x_keys(model, x)
        xs = da.flatten_structure(fi.by_name(x, getattr(model, "input_names", None), "x"), "x",
                                  "predict", strings=da.reads_strings(model))
        if da.check_counts(xs, None, None) == 0:
            raise ValueError(f"predict: x is empty (shape {xs[0].shape}); at least one sample "
                             "is expected")
        batches = da.ArrayBatches(xs, None, None, batch_size or 32, False)
    fi.ensure_built(model, batches)
    heap.tune_for_loop()  # its batches allocate the same temporaries (see ember.heap)
    verbose = resolve_verbose(verbose)
    start = time.perf_counter()
    device = model_device(model)  # once: predict runs no optimizer that could move it
    cbs = CallbackList(list(callbacks or []), model=model, params={"steps": len(batches)})
    cbs.on_predict_begin({})
    hooks = cbs.needs("on_predict_batch_begin") or cbs.needs("on_predict_batch_end")
    from ember.models.trainer import overrides

    own_step = model.predict_step if overrides(model, "predict_step") else None
    on_cpu = device == "cpu"
    chain = chain_step.for_predict(model, batches) if own_step is None and not hooks \
        and on_cpu else None
    if chain is not None:  # a Dense stack on one array: one kernel (ember.kernels.dense_chain)
        out = chain[0].predict(batches.xs[0], batches.batch_size, chain[1])
        cbs.on_predict_end({})
        if verbose:
            n = len(batches)
            backend.print_msg(closing_line(n, n, time.perf_counter() - start))
        return out
    chunks: list = []
    with no_grad():
        for step, xb in enumerate(_predict_inputs(batches, device, model)):
            if hooks:
                cbs.on_predict_batch_begin(step, {})
            out = model(xb, training=False) if own_step is None else own_step(xb)
            if on_cpu and isinstance(out, Tensor):
                chunks.append((out.data,))
            else:
                chunks.append([backend.to_numpy(o.data if isinstance(o, Tensor) else o)
                               for o in as_list(out)])
            if hooks:
                cbs.on_predict_batch_end(step, {"outputs": out})
    cbs.on_predict_end({})
    if not chunks:
        raise ValueError("predict: x (a generator or Dataset) yielded no batches")
    if verbose:  # Keras' closing line, after the loop (no per-batch printing)
        backend.print_msg(closing_line(len(chunks), len(chunks), time.perf_counter() - start))
    outs = [np.concatenate([c[i] for c in chunks], axis=0) for i in range(len(chunks[0]))]
    return outs[0] if len(outs) == 1 else outs
