"""``Model``: a layer that can be trained — compile, fit, evaluate, predict, summary, save.

Three ways to make one, as in Keras:

- ``em.Sequential([...])`` — a stack of layers;
- ``em.Model(inputs, outputs)`` — the functional API, a graph of layers from ``em.Input``;
- a subclass of ``em.Model`` that creates layers in ``__init__`` and uses them in ``call``.

Example:
    >>> import ember as em
    >>> class TwoLayer(em.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = em.layers.Dense(8, activation="relu")
    ...         self.out = em.layers.Dense(1)
    ...     def call(self, x, training=None):
    ...         return self.out(self.hidden(x))
    >>> model = TwoLayer()
    >>> model.compile(optimizer="adam", loss="mse")
    >>> model(em.ones((2, 3))).shape
    (2, 1)
"""

from __future__ import annotations

from typing import Any

from ember.layers.base import Layer
from ember.models import fit_loop, predict_loop
from ember.models import trainer as _trainer
from ember.models.custom_steps import CustomSteps
from ember.models.fit_inputs import prepare
from ember.models.nonfinite_loss import NonFiniteLossError
from ember.serialization import register


@register()
class Model(CustomSteps, Layer):
    """A trainable network; see the module docstring for the three ways to build one."""

    def __init__(self, inputs: Any = None, outputs: Any = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._trainer: _trainer.Trainer | None = None
        self.stop_training = False
        self.history: Any = None
        self._graph = None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("Model(inputs, outputs): both are needed for the functional API")
            from ember.models.functional import Graph

            self._graph = Graph(inputs, outputs)
            for layer in self._graph.layers:
                self._track_layer(layer)
            self.built = True

    # ------------------------------------------------------------------ forward
    def call(self, inputs: Any, training: Any = None) -> Any:
        if self._graph is not None:
            return self._graph.run(inputs, training)
        raise NotImplementedError(
            f"{type(self).__name__}: a subclassed Model must define call(self, inputs, "
            "training=None)"
        )

    def build(self, input_shape: Any = None) -> None:
        """Create the weights by running a batch of zeros of ``input_shape`` (None -> 1)."""
        if self._graph is not None or self.built:
            self.built = True
            return
        if input_shape is None:
            raise ValueError(f"{type(self).__name__}.build: pass the input shape, e.g. "
                             "(None, 784)")
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        from ember.autograd.mode import no_grad
        from ember.backend import floatx
        from ember.devices import probe_zeros
        from ember.models.fit_inputs import model_inputs

        dummies = [probe_zeros(s, floatx(), self) for s in shapes]
        with no_grad():
            self(model_inputs(self, dummies), training=False)
        self.built = True

    @property
    def layers(self) -> list:
        if self._graph is not None:
            return list(self._graph.layers)
        return list(self._sublayers())

    @property
    def inputs(self) -> list | None:
        """A functional model's symbolic inputs (None for a subclassed model)."""
        return None if self._graph is None else list(self._graph.inputs)

    @property
    def outputs(self) -> list | None:
        """A functional model's symbolic outputs (None for a subclassed model)."""
        return None if self._graph is None else list(self._graph.outputs)

    @property
    def input(self) -> Any:
        """The symbolic input(s) of a functional model, as given to ``Model(inputs, ...)``."""
        if self._graph is None:
            return super().input
        return self._graph.input_struct

    @property
    def output(self) -> Any:
        """The symbolic output(s) of a functional model, as given to ``Model(..., outputs)``."""
        if self._graph is None:
            return super().output
        return self._graph.output_struct

    @property
    def metrics_names(self) -> list[str]:
        """The names of what ``evaluate`` returns, in its order (``["loss", "accuracy"]``)."""
        if self._trainer is None:
            return []
        return list(self._trainer.logs())

    @property
    def input_shape(self) -> Any:
        """The input's shape with None for the batch axis (a list for several inputs)."""
        return self._symbolic_shapes("input", self.inputs)

    @property
    def output_shape(self) -> Any:
        """The output's shape with None for the batch axis (a list for several outputs).

        Example:
            >>> import ember as em
            >>> model = em.Sequential([em.Input(shape=(784,)), em.layers.Dense(10)])
            >>> model.output_shape
            (None, 10)
        """
        return self._symbolic_shapes("output", self.outputs)

    def _symbolic_shapes(self, what: str, tensors: list | None) -> Any:
        if tensors is None:
            raise AttributeError(
                f"{type(self).__name__} '{self.name}' has no defined {what} shape: a "
                f"subclassed model's {what}s are only known per call")
        shapes = [t.shape for t in tensors]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_names(self) -> list[str]:
        if self._graph is not None:
            return self._graph.output_names
        return ["output"]

    @property
    def input_names(self) -> list[str] | None:
        """The names of a functional model's inputs (dict inputs are matched to them)."""
        if self._graph is not None:
            return [t.node.layer.name for t in self._graph.inputs]
        return None

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name or by position in ``model.layers``."""
        if index is not None:
            layers = self.layers
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"get_layer: index {index} is out of range; the model has "
                                 f"{len(layers)} layers")
            return layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        names = [layer.name for layer in self.layers]
        raise ValueError(f"get_layer: no layer named {name!r}; the layers are {names}")

    def summary_rows(self) -> list[tuple]:
        if self._graph is not None:
            return self._graph.summary_rows()
        return [(layer.name, type(layer).__name__, getattr(layer, "_build_output_shape", None),
                 layer.count_params() if layer.built else 0, "") for layer in self.layers]

    def summary(self, print_fn: Any = None, line_length: int = 80) -> None:
        """Print the layers, their output shapes and parameter counts (Keras' table)."""
        from ember.models.summary import format_summary

        text = format_summary(self, line_length)
        (print_fn or print)(text)

    # ------------------------------------------------------------------ training
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None,
                loss_weights: Any = None, **kwargs: Any) -> None:
        """Choose the optimizer, the loss (per output) and the metrics to report.

        Strings work as in Keras: ``optimizer="adam"``, ``loss="mse"``,
        ``metrics=["accuracy"]`` (binary, categorical or sparse accuracy is chosen from the
        shapes of the targets and outputs on the first batch).

        ``stop_on_nan`` (ember's, default True): a step whose loss is NaN or inf applies no
        update and ``fit`` raises ``em.models.NonFiniteLossError`` naming the epoch, the step
        and the first layer whose output was not finite; the weights stay those of the last
        finite step. ``stop_on_nan=False`` keeps training as Keras does (the update is applied
        and ``loss: nan`` reported; add ``em.callbacks.TerminateOnNaN()`` to stop at the end
        of that batch, as in Keras).

        Example:
            >>> import ember as em
            >>> model = em.Sequential([em.layers.Dense(1, input_shape=(3,))])
            >>> model.compile(optimizer="sgd", loss="mse", stop_on_nan=False)
        """
        stop_on_nan = kwargs.pop("stop_on_nan", True)
        weighted_metrics = kwargs.pop("weighted_metrics", None)
        auto_scale_loss = kwargs.pop("auto_scale_loss", True)
        unknown = set(kwargs) - {"run_eagerly", "jit_compile", "steps_per_execution",
                                 "weighted_metrics"}
        if unknown:
            raise TypeError(f"compile: unknown argument(s) {sorted(unknown)}")
        used = optimizer
        if auto_scale_loss and optimizer is not None and \
                self.dtype_policy.name == "mixed_float16":
            used = _loss_scaled(optimizer)  # float16 gradients underflow without it (Keras)
        self._trainer = _trainer.Trainer(self, used, loss, metrics, loss_weights,
                                         stop_on_nan, weighted_metrics)
        # Keras' compile_config keeps the optimizer the user gave (loading re-wraps it)
        self._loss_scaled_by_compile = used is not optimizer
        self._compile_config = {"optimizer": optimizer, "loss": loss, "metrics": metrics,
                                "loss_weights": loss_weights, "stop_on_nan": stop_on_nan}
        if weighted_metrics:
            self._compile_config["weighted_metrics"] = weighted_metrics

    @property
    def optimizer(self) -> Any:
        return None if self._trainer is None else self._trainer.optimizer

    @property
    def compiled(self) -> bool:
        return self._trainer is not None

    def _require_compiled(self, what: str) -> _trainer.Trainer:
        if self._trainer is None:
            raise RuntimeError(f"{what}: compile the model first, e.g. model.compile("
                               "optimizer='adam', loss='sparse_categorical_crossentropy', "
                               "metrics=['accuracy'])")
        return self._trainer

    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: Any = None, validation_split: float = 0.0,
            validation_data: Any = None, shuffle: Any = True, class_weight: dict | None = None,
            sample_weight: Any = None, initial_epoch: int = 0, steps_per_epoch: int | None = None,
            validation_steps: int | None = None, validation_batch_size: int | None = None,
            validation_freq: int = 1) -> Any:
        """Train for ``epochs`` passes over the data; returns a ``History``.

        ``validation_split`` holds out the LAST fraction of the samples (taken before
        shuffling, as Keras does): shuffle your data first if it is sorted by class.

        NaN or inf in ``x``, ``y``, ``sample_weight`` or the validation data is refused
        before the first step (in-memory arrays in one pass per call; a generator's or
        Dataset's batches when first drawn). ``steps_per_epoch`` with arrays takes that many
        batches per epoch from a pass that continues across epochs, as Keras does; a finite
        generator that runs out gives Keras' "ran out of data" warning and training stops.
        A non-finite training loss raises ``em.models.NonFiniteLossError`` (see ``compile``'s
        ``stop_on_nan``).
        """
        return fit_loop.fit(self, x, y, batch_size, epochs, verbose, callbacks,
                            validation_split, validation_data, shuffle, class_weight,
                            sample_weight, initial_epoch, steps_per_epoch, validation_steps,
                            validation_batch_size, validation_freq)

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: Any = "auto", sample_weight: Any = None, steps: int | None = None,
                 callbacks: Any = None, return_dict: bool = False) -> Any:
        """Loss and metrics on the given data: a scalar, a list, or a dict."""
        return fit_loop.evaluate(self, x, y, batch_size, verbose, sample_weight, steps,
                                 callbacks, return_dict)

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto",
                steps: int | None = None, callbacks: Any = None) -> Any:
        """The outputs for ``x`` as NumPy arrays, computed in batches without recording.

        ``batch_size`` defaults to 32 (Keras'); ``verbose`` 1 or 2 prints Keras' closing line
        (batches, seconds, ms per batch), 0 prints nothing; "auto" (the default) prints it too.
        """
        return predict_loop.predict(self, x, batch_size, verbose, steps, callbacks)

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: dict | None = None, return_dict: bool = False) -> Any:
        """One optimizer step on one batch; returns the loss and metrics of that batch."""
        trainer = self._require_compiled("train_on_batch")
        xs, ys, sws = prepare(x, y, sample_weight, class_weight, self, "train_on_batch")
        if not self.built:
            self.build([(None,) + a.shape[1:] for a in xs] if len(xs) > 1
                       else (None,) + xs[0].shape[1:])
        trainer.reset()
        trainer.invalidate()  # a GAN loop may have frozen or unfrozen layers since the last call
        step = trainer.custom_train_step if _trainer.overrides(self, "train_step") \
            else trainer.train_step
        try:
            step(xs, ys, sws)
        except NonFiniteLossError as err:
            raise trainer.explain_nonfinite(xs, "this batch", err, "train_on_batch") from None
        return _result(trainer.logs(), return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False) -> Any:
        """Loss and metrics on one batch, without updating anything."""
        trainer = self._require_compiled("test_on_batch")
        xs, ys, sws = prepare(x, y, sample_weight, None, self, "test_on_batch")
        trainer.reset()
        trainer.invalidate()
        if _trainer.overrides(self, "test_step"):
            trainer.custom_test_step(xs, ys, sws)
        else:
            trainer.test_step(xs, ys, sws)
        return _result(trainer.logs(), return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """The outputs for one batch as NumPy arrays."""
        return self.predict(x, batch_size=len(x) if hasattr(x, "__len__") else None, verbose=0)

    # ------------------------------------------------------------------ saving
    def save(self, filepath: str, include_optimizer: bool = True) -> None:
        """Write the architecture, weights (and optimizer state) to one ``.ember`` zip file;
        a name ending in ``.keras`` writes Keras 3's format instead (architecture and weights,
        loadable by ``keras.saving.load_model``)."""
        from ember.saving import save_model

        save_model(self, filepath, include_optimizer=include_optimizer)

    def save_weights(self, filepath: str) -> None:
        """Write only the weights: ``.weights.safetensors`` (ember) or ``.weights.h5``
        (Keras 3's layout, loadable by a Keras model's ``load_weights``)."""
        from ember.saving import save_weights

        save_weights(self, filepath)

    def load_weights(self, filepath: str) -> None:
        """Read weights written by ``save_weights`` (or from a ``.ember`` file, or a Keras 3
        ``.weights.h5`` file)."""
        from ember.saving import load_weights

        load_weights(self, filepath)

    def export(self, filepath: str, format: str = "onnx") -> None:
        """Write the model for inference elsewhere: ``model.export("m.onnx")`` (ONNX)."""
        if format != "onnx":
            raise ValueError(f"export: format must be 'onnx'; got {format!r}")
        from ember.onnx import export

        export(self, filepath)

    def to_json(self, **kwargs: Any) -> str:
        """The architecture as a JSON string (``em.models.model_from_json`` reads it)."""
        from ember.models.cloning import to_json

        return to_json(self, **kwargs)

    def get_config(self) -> dict:
        if self._graph is not None:
            return self._graph.get_config(self.name)
        return super().get_config()

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Model:
        if "graph" in config:
            from ember.models.functional import Graph

            inputs, outputs = Graph.from_config(config, custom_objects)
            return cls(inputs, outputs, name=config.get("name"))
        return cls(**config)


def _result(logs: dict, return_dict: bool) -> Any:
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _loss_scaled(optimizer: Any) -> Any:
    """``optimizer`` (a name or an object) inside a LossScaleOptimizer, as Keras' compile
    wraps it under the mixed_float16 policy; one that already scales is returned as is."""
    from ember import optimizers

    opt = optimizers.get(optimizer)
    if isinstance(opt, optimizers.LossScaleOptimizer):
        return opt
    return optimizers.LossScaleOptimizer(opt)
