"""``Sequential``: a stack of layers, each feeding the next.

Example:
    >>> import ember as em
    >>> model = em.Sequential([
    ...     em.layers.Dense(8, activation="relu", input_shape=(4,)),
    ...     em.layers.Dense(1),
    ... ])
    >>> model.count_params()
    49
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ember.models.model import Model
from ember.serialization import register


@register()
class Sequential(Model):
    """Layers applied in order; built as soon as the input shape is known.

    The input shape comes from ``input_shape=`` on the first layer, an ``em.Input`` /
    ``em.layers.InputLayer`` as the first entry, ``model.build(shape)``, or the first batch.
    """

    def __init__(self, layers: Iterable[Any] | None = None, name: str | None = None,
                 trainable: bool = True) -> None:
        super().__init__(name=name, trainable=trainable)
        self._layers: list = []
        self._input_shape_known: tuple | None = None
        for layer in layers or []:
            self._append(layer)
        self._maybe_build()  # once, for the whole list

    # ------------------------------------------------------------------ structure
    @property
    def layers(self) -> list:
        return list(self._layers)

    def add(self, layer: Any) -> None:
        """Append a layer (or an ``em.Input``, which only sets the input shape).

        When the model is built, only the new layer is built and called on the symbolic
        output so far: adding n layers costs n layer builds, not n rebuilds of the model.
        """
        extendable = self.built and self._layers and self._symbolic_complete()
        self._append(layer)
        if extendable and self._layers and self._layers[-1] is layer:
            self._extend_with(layer)
        else:
            self._drop_symbolic()
            self.built = False
            self._maybe_build()

    def _append(self, layer: Any) -> None:
        from ember.layers.base import Layer
        from ember.layers.input_layer import InputLayer
        from ember.layers.symbolic import SymbolicTensor

        if isinstance(layer, SymbolicTensor):
            layer = layer.layer
        if isinstance(layer, InputLayer):
            if self._layers:
                raise ValueError("Sequential: an Input can only be the first entry")
            self._input_shape_known = tuple(layer.batch_shape)
            object.__setattr__(self, "_input_layer", layer)
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a layer; got {type(layer).__name__}")
        if any(existing is layer for existing in self._layers):
            raise ValueError(f"Sequential.add: layer '{layer.name}' is already in the model")
        if not self._layers and self._input_shape_known is None:
            shape = getattr(layer, "_input_shape_arg", None)
            if shape is not None:
                self._input_shape_known = (None,) + tuple(shape)
        self._layers.append(layer)  # the list is a tracked attribute: weights follow

    def _symbolic_complete(self) -> bool:
        io = self.__dict__.get("_symbolic_io")
        return io is not None and io[1] is not None

    def _extend_with(self, layer: Any) -> None:
        """Build ``layer`` from the last output shape and call it on the symbolic output."""
        from ember.layers.symbolic import inbound_nodes

        shape = tuple(self._layer_shapes[-1])
        if not layer.built:
            layer._build_from_shape(shape)
        self._layer_shapes.append(layer.compute_output_shape(shape))
        inp, x, made = self.__dict__["_symbolic_io"]
        try:
            out = layer(x)
        except Exception:  # noqa: BLE001 - as in build: only the symbolic attributes are lost
            self._drop_symbolic()
            return
        made.append((layer, inbound_nodes(layer)[-1]))
        object.__setattr__(self, "_symbolic_io", (inp, out, made))

    def pop(self) -> Any:
        """Remove and return the last layer."""
        if not self._layers:
            raise ValueError("Sequential.pop: the model has no layers")
        layer = self._layers.pop()
        self._drop_symbolic()
        self.built = False
        self._maybe_build()
        return layer

    def _maybe_build(self) -> None:
        if self._input_shape_known is not None and self._layers:
            self.build(self._input_shape_known)

    # ------------------------------------------------------------------ build and call
    def build(self, input_shape: Any = None) -> None:
        if input_shape is None:
            input_shape = self._input_shape_known
        if input_shape is None:
            raise ValueError("Sequential.build: the input shape is unknown; pass it, or give "
                             "input_shape= to the first layer")
        shape = tuple(input_shape)
        self._input_shape_known = shape
        layer_shapes: list = []
        for layer in self._layers:
            if not layer.built:
                layer._build_from_shape(shape)
            out_shape = layer.compute_output_shape(shape)
            layer_shapes.append(out_shape)
            shape = out_shape
        object.__setattr__(self, "_layer_shapes", layer_shapes)  # plain data, not tracked
        self.built = True
        # As Keras, record the layers' symbolic graph now, so that `model.layers[i].output`
        # works at once; a layer that cannot run symbolically only loses those attributes
        # (`model.input` then raises its error).
        self._drop_symbolic()
        try:
            self._symbolic()
        except Exception:  # noqa: BLE001, S110 - a convenience: the explicit access reports it
            pass

    def call(self, inputs: Any, training: Any = None) -> Any:
        x = inputs
        for layer in self._layers:
            x = layer(x, training=training)
        return x

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = tuple(input_shape)
        for layer in self._layers:
            shape = layer.compute_output_shape(shape)
        return shape

    @property
    def input_shape(self) -> tuple | None:
        shape = self._input_shape_known
        return None if shape is None else (None,) + tuple(shape[1:])

    @property
    def input(self) -> Any:
        """The symbolic input (Keras): with ``output`` or a layer's ``output``, it makes
        feature extractors, ``em.Model(model.input, model.layers[-2].output)``."""
        return self._symbolic()[0]

    @property
    def output(self) -> Any:
        """The symbolic output of the last layer."""
        return self._symbolic()[1]

    @property
    def inputs(self) -> list:
        """``[model.input]``, as Keras: the spelling of the Sequential guide's feature
        extractor, ``Model(inputs=model.inputs, outputs=[l.output for l in model.layers])``."""
        return [self.input]

    @property
    def outputs(self) -> list:
        """``[model.output]``."""
        return [self.output]

    def _symbolic(self) -> tuple:
        """(input, output) of the layers called once on a symbolic input: the functional graph
        Keras builds for a Sequential model whose input shape is known (made on first use)."""
        io = self.__dict__.get("_symbolic_io")
        if io is not None and io[1] is not None:
            return io[0], io[1]
        if self._input_shape_known is None:
            raise AttributeError(
                f"Sequential '{self.name}' has no defined input yet: start it with "
                "em.Input(shape=...), or build / call it on data first")
        from ember.layers.input_layer import Input
        from ember.layers.symbolic import inbound_nodes

        given = self.__dict__.get("_input_layer")
        batch_shape = (None,) + tuple(self._input_shape_known[1:])
        if given is None or tuple(given.batch_shape[1:]) != batch_shape[1:]:
            # One InputLayer per model, made when first needed and kept across rebuilds, so a
            # model's input is named "input_layer" as in Keras (not input_layer_2 after three
            # layers).
            given = Input(batch_shape=batch_shape).node.layer
            object.__setattr__(self, "_input_layer", given)
        x = inp = given.output
        made: list = []
        object.__setattr__(self, "_symbolic_io", (inp, None, made))
        try:
            for layer in self._layers:
                x = layer(x)
                made.append((layer, inbound_nodes(layer)[-1]))
        except Exception:
            self._drop_symbolic()  # the layers called so far keep no node of a broken graph
            raise
        object.__setattr__(self, "_symbolic_io", (inp, x, made))
        return inp, x

    def _drop_symbolic(self) -> None:
        """Forget the symbolic graph (the layers changed): its nodes leave the layers too, so
        that a layer's ``output`` never refers to a graph the model no longer has."""
        io = self.__dict__.get("_symbolic_io")
        if io is not None:
            from ember.layers.symbolic import inbound_nodes

            for layer, node in io[2]:
                nodes = inbound_nodes(layer)
                if any(n is node for n in nodes):
                    nodes.remove(node)
        object.__setattr__(self, "_symbolic_io", None)

    @property
    def output_shape(self) -> tuple:
        shapes = getattr(self, "_layer_shapes", None)
        if not shapes:
            raise AttributeError(
                f"Sequential '{self.name}' has no defined output shape yet: give it an "
                "em.Input(shape=...) first, or build / call it on data")
        return (None,) + tuple(shapes[-1][1:])  # the batch axis is not fixed

    @property
    def output_names(self) -> list[str]:
        return [self._layers[-1].name] if self._layers else ["output"]

    def summary_rows(self) -> list[tuple]:
        """(name, class, output shape, params) per layer, for ``summary()``."""
        shapes = getattr(self, "_layer_shapes", None) or [None] * len(self._layers)
        return [(layer.name, type(layer).__name__, shape,
                 layer.count_params() if layer.built else 0, "")
                for layer, shape in zip(self._layers, shapes)]

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        from ember.serialization import serialize

        return {
            "name": self.name,
            "input_shape": list(self._input_shape_known) if self._input_shape_known else None,
            "layers": [serialize(layer) for layer in self._layers],
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Sequential:
        from ember.serialization import deserialize

        model = cls(name=config.get("name"))
        for layer_cfg in config["layers"]:
            model.add(deserialize(layer_cfg, custom_objects))
        if config.get("input_shape") and not model.built:
            model.build(tuple(config["input_shape"]))
        return model
