"""The HTTP app ``ember serve`` runs (FastAPI, the ``serve`` extra).

- ``GET /health``: status, the model's input and output shapes, batching counters;
- ``POST /predict``: ``{"inputs": [sample, ...], "saliency": false}`` -> ``{"outputs": [...],
  "classes": [...]}`` (and ``"saliency"``: the absolute input gradient of each sample's top
  output). Inputs are checked against the model's input shape; a bad body gets a 4xx whose
  message names the expected shape. Concurrent requests are batched (``Batcher``);
- ``GET /``: a page to draw a digit on and see the class, the probabilities and the saliency.
"""


import asyncio
import json
import threading
from importlib import resources
from typing import Any

import numpy as np

from ember.serving.batcher import Batcher

MAX_BODY_BYTES = 8 << 20   # one request's JSON
MAX_SAMPLES = 256          # samples in one request
DRAIN_BYTES = 8 * MAX_BODY_BYTES  # an oversized body read (and dropped) to answer 413


class BadRequest(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_inputs(body: bytes, input_shape: tuple, dtype: str) -> tuple[np.ndarray, bool]:
    """The batch in a /predict body, checked against ``input_shape`` (batch axis None)."""
    expected = "(n, " + ", ".join(str(d) for d in input_shape[1:]) + ")"
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(400, f"the body is not JSON ({exc}); send {{\"inputs\": [...]}} "
                         f"with inputs of shape {expected}") from None
    if not isinstance(payload, dict) or "inputs" not in payload:
        raise BadRequest(422, f"send a JSON object {{\"inputs\": [...]}} with inputs of shape "
                         f"{expected}")
    try:
        x = np.asarray(payload["inputs"], dtype=dtype)
    except (ValueError, TypeError) as exc:
        raise BadRequest(422, f"inputs must be a rectangular array of numbers of shape "
                         f"{expected} ({exc})") from None
    want = tuple(input_shape[1:])
    if x.ndim != len(want) + 1 or any(w is not None and w != g for w, g in
                                      zip(want, x.shape[1:])):
        raise BadRequest(422, f"inputs have shape {x.shape}; the model expects {expected} "
                         f"(model input shape {tuple(input_shape)})")
    if len(x) == 0 or len(x) > MAX_SAMPLES:
        raise BadRequest(413 if len(x) else 422, f"send 1 to {MAX_SAMPLES} samples per "
                         f"request; got {len(x)}")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise BadRequest(422, "inputs hold NaN or infinity")
    return x, bool(payload.get("saliency", False))


class Served:
    """A model with a lock (ember's graph recording is not shared across threads)."""

    def __init__(self, model: Any, max_batch: int, max_wait_s: float) -> None:
        self.model = model
        self.lock = threading.Lock()
        shape = model.input_shape
        if isinstance(shape, list):
            raise ValueError("ember serve: a model with several inputs is not served yet")
        self.input_shape = tuple(shape)
        layer = model.layers[0] if model.layers else None
        self.dtype = getattr(layer, "input_dtype", None) or "float32"
        self.batcher = Batcher(self._predict, max_batch=max_batch, max_wait_s=max_wait_s)

    def _predict(self, x: np.ndarray) -> np.ndarray:
        with self.lock:
            return np.asarray(self.model.predict(x, batch_size=len(x), verbose=0))

    def saliency(self, x: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """|d output[class] / d input| per sample: the plain input gradient."""
        import ember as em

        with self.lock:
            t = em.tensor(x.astype("float32"), requires_grad=True)
            out = self.model(t, training=False)
            picked = out[np.arange(len(x)), classes].sum()
            picked.backward()
            return np.abs(t.grad.numpy())


def create_app(model: Any, max_batch: int = 64, max_wait_s: float = 0.005) -> Any:
    """The FastAPI app serving ``model``."""
    try:
        from fastapi import FastAPI, Request
        from fastapi.responses import HTMLResponse, JSONResponse
    except ImportError:
        raise ImportError("ember serve needs FastAPI and uvicorn: pip install 'ember[serve]'") \
            from None
    served = Served(model, max_batch, max_wait_s)
    app = FastAPI(title="ember serve")
    app.state.served = served

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "input_shape": list(served.input_shape),
                "output_shape": list(model.output_shape), "batches": served.batcher.batches,
                "requests": served.batcher.requests}

    @app.post("/predict")
    async def predict(request: Request) -> Any:
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size <= MAX_BODY_BYTES:
                chunks.append(chunk)
            elif size > DRAIN_BYTES:  # past this the connection is simply dropped
                break
        if size > MAX_BODY_BYTES:  # drained (not kept) so the client reads the answer
            return JSONResponse({"error": f"the body has more than {MAX_BODY_BYTES} bytes "
                                 "(ember.serving.app.MAX_BODY_BYTES)"}, status_code=413)
        body = b"".join(chunks)
        try:
            x, want_saliency = parse_inputs(body, served.input_shape, served.dtype)
        except BadRequest as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        out = await asyncio.wrap_future(served.batcher.submit(x))
        classes = out.reshape(len(out), -1).argmax(axis=1)
        result = {"outputs": out.tolist(), "classes": classes.tolist()}
        if want_saliency:
            loop = asyncio.get_running_loop()
            sal = await loop.run_in_executor(None, served.saliency, x, classes)
            result["saliency"] = sal.tolist()
        return result

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return resources.files("ember.serving").joinpath("page.html").read_text("utf-8")

    @app.on_event("shutdown")
    def stop() -> None:
        served.batcher.close()

    return app


def serve(path: str, host: str = "127.0.0.1", port: int = 8000, max_batch: int = 64) -> None:
    """Load the model at ``path`` and serve it until interrupted."""
    try:
        import uvicorn
    except ImportError:
        raise ImportError("ember serve needs FastAPI and uvicorn: pip install 'ember[serve]'") \
            from None
    from ember.models import load_model

    app = create_app(load_model(path, compile=False), max_batch=max_batch)
    uvicorn.run(app, host=host, port=port, log_level="warning")
