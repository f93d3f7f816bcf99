"""Translating model configs between Keras 3's ``config.json`` and ember's.

The layers ember shares with Keras take the same arguments, so a layer's config mostly passes
through; what differs is the wrapping (Keras adds ``module`` and ``registered_name``, a dtype
policy object, ``build_config``), the functional graph's node format, and arguments one side
lacks. An argument ember lacks is dropped only when it holds Keras' default (``groups=1``,
``data_format="channels_last"``, ...); any other value is refused, naming the layer, the
argument and the value — never silently ignored.

Example:
    >>> import ember as em
    >>> cfg = keras_layer_config(em.layers.Dense(3, name="d"))
    >>> cfg["class_name"], cfg["module"], cfg["config"]["units"]
    ('Dense', 'keras.layers', 3)
    >>> layer = em.layers.deserialize(ember_layer_config(cfg, "demo"))
    >>> type(layer).__name__, layer.units
    ('Dense', 3)
"""

from __future__ import annotations

import inspect
from typing import Any

from ember.interop.keras_layout import SHARED_LAYERS, functional_order, keras_class_name

# Keras arguments ember has no parameter for, with the values that mean "as ember does"
_KERAS_DEFAULTS: dict[str, tuple] = {
    "groups": (1,), "data_format": ("channels_last", None), "quantization_config": (None,),
    "lora_rank": (None,), "lora_alpha": (None,), "lora_enabled": (False,),
    "renorm": (False,), "renorm_clipping": (None,), "renorm_momentum": (0.99,),
    "synchronized": (False,), "rms_scaling": (False,), "sparse": (False,),
    "ragged": (False,), "optional": (False,), "seed": (None,), "noise_shape": (None,),
    "use_cudnn": ("auto",), "implementation": (1, 2), "keepdims": (False,),
    "interpolation": ("nearest",), "input_length": (None,), "embeddings_constraint": (None,),
    "activity_regularizer": (None,), "mask_zero": (False,), "dilation_rate": ((1,), (1, 1)),
}
_BASE_ARGS = {"name", "trainable", "dtype", "input_shape", "batch_input_shape", "input_dim",
              "activity_regularizer", "batch_size", "autocast"}
_FLOATS = {"float16", "float32", "float64", "bfloat16"}
_OBJECT_MODULES = (("_initializer", "keras.initializers"), ("_regularizer", "keras.regularizers"),
                   ("_constraint", "keras.constraints"))


class KerasConfigError(NotImplementedError):
    """A Keras config uses a layer or an argument value ember does not support."""


# ------------------------------------------------------------------ Keras -> ember
def ember_model_config(config: dict, who: str) -> dict:
    """ember's ``{"class_name", "config"}`` for a Keras ``config.json`` model entry."""
    kind = config.get("class_name")
    cfg = config.get("config") or {}
    if kind == "Sequential":
        return _ember_sequential(cfg, who)
    if kind in ("Functional", "Model"):
        return _ember_functional(cfg, who)
    raise KerasConfigError(f"{who}: the file holds a {kind!r} model; ember reads Keras "
                           "Sequential and functional models (a subclassed model has no "
                           "config to rebuild it from)")


def _ember_sequential(cfg: dict, who: str) -> dict:
    layers, input_shape = [], None
    for entry in cfg.get("layers", []):
        if entry.get("class_name") == "InputLayer":
            input_shape = list(entry["config"]["batch_shape"])
            continue
        layers.append(ember_layer_config(entry, who))
    return {"class_name": "Sequential",
            "config": {"name": cfg.get("name"), "layers": layers, "input_shape": input_shape}}


def _ember_functional(cfg: dict, who: str) -> dict:
    layers = []
    for entry in cfg.get("layers", []):
        layer = ember_layer_config(entry, who)
        calls = [_ember_call(node, who) for node in entry.get("inbound_nodes", [])]
        layers.append({"name": entry.get("name") or (entry.get("config") or {}).get("name"),
                       "layer": layer, "calls": calls})
    return {"class_name": "Model", "config": {"name": cfg.get("name"), "graph": {
        "layers": layers, "inputs": _refs(cfg["input_layers"]),
        "outputs": _refs(cfg["output_layers"])}}}


def _refs(value: Any) -> Any:
    """Keras' ``[name, node, index]`` or a list of them -> ember's (one ref or a list)."""
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        return list(value)
    return [_refs(v) for v in value]


def _ember_call(node: Any, who: str) -> list:
    if not isinstance(node, dict):
        raise KerasConfigError(f"{who}: an inbound node in the legacy (Keras 2) format; save "
                               "the model again with Keras 3")
    args = node.get("args", [])
    if len(args) != 1:
        raise KerasConfigError(f"{who}: a layer call with {len(args)} positional arguments; "
                               "ember replays calls with one input (or a list of inputs)")
    kwargs = {k: v for k, v in (node.get("kwargs") or {}).items()
              if not (k in ("training", "mask") and v in (None, False))}
    return [_tensor_refs(args[0]), kwargs]


def _tensor_refs(value: Any) -> Any:
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        return list(value["config"]["keras_history"])
    if isinstance(value, (list, tuple)):
        return [_tensor_refs(v) for v in value]
    return value


def ember_layer_config(entry: dict, who: str) -> dict:
    """ember's ``{"class_name", "config"}`` for one Keras layer entry (refusing what differs)."""
    from ember.serialization import lookup

    kind = entry.get("class_name")
    cfg = dict(entry.get("config") or {})
    name = cfg.get("name", "?")
    if kind in ("Sequential", "Functional", "Model"):
        return ember_model_config(entry, who)
    if kind == "InputLayer":
        return {"class_name": "InputLayer", "config": {
            "batch_shape": cfg["batch_shape"], "dtype": _dtype(cfg.get("dtype"), name, who),
            "name": name}}
    registered = entry.get("registered_name") or ""
    if kind not in SHARED_LAYERS and ">" in registered:  # a user's registered layer
        return {"class_name": registered, "config": cfg}
    if kind not in SHARED_LAYERS:
        raise KerasConfigError(f"{who}: layer '{name}' is a Keras {kind}, which ember does not "
                               f"read (supported: {', '.join(sorted(SHARED_LAYERS))})")
    try:
        cls = lookup(kind)
    except (KeyError, ValueError):
        raise KerasConfigError(f"{who}: layer '{name}' is a Keras {kind}, which ember does not "
                               "have") from None
    accepted = _parameters(cls)
    out: dict[str, Any] = {}
    for key, value in cfg.items():
        if key == "dtype":
            out[key] = _dtype(value, name, who)
        elif key in ("layer", "backward_layer") and isinstance(value, dict):
            out[key] = ember_layer_config(value, who)
        elif key in accepted:
            out[key] = _ember_object(value, name, key, who)
        elif value not in _KERAS_DEFAULTS.get(key, ()):
            raise KerasConfigError(
                f"{who}: layer '{name}' ({kind}) has {key}={value!r}, which ember's {kind} "
                "does not support")
    return {"class_name": kind, "config": out}


def _parameters(cls: type) -> set[str]:
    """The arguments ``cls`` takes, its base classes' included (they receive **kwargs)."""
    params = set(_BASE_ARGS)
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            params |= set(inspect.signature(klass.__init__).parameters)
    return params - {"self", "args", "kwargs"}


def _dtype(value: Any, name: str, who: str) -> str:
    if isinstance(value, dict):
        value = (value.get("config") or {}).get("name")
    if value is None:
        return "float32"
    if value not in _FLOATS | {"int32", "int64", "uint8", "bool", "mixed_float16"}:
        raise KerasConfigError(f"{who}: layer '{name}' uses the dtype policy {value!r}; ember "
                               f"reads {sorted(_FLOATS | {'mixed_float16'})}")
    return value


def _ember_object(value: Any, layer: str, key: str, who: str) -> Any:
    """An initializer/regularizer/constraint dict in ember's form (config keys filtered)."""
    if not (isinstance(value, dict) and "class_name" in value):
        return value
    from ember.serialization import lookup

    kind = value["class_name"]
    try:
        cls = lookup(kind)
    except (KeyError, ValueError):
        raise KerasConfigError(f"{who}: layer '{layer}' has {key}={kind}, which ember does "
                               "not have") from None
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
    cfg = value.get("config") or {}
    if not isinstance(cfg, dict):
        return {"class_name": kind, "config": cfg}
    kept = {k: v for k, v in cfg.items() if k in accepted or "kwargs" in accepted}
    dropped = {k: v for k, v in cfg.items() if k not in kept and v is not None}
    if dropped:
        raise KerasConfigError(f"{who}: layer '{layer}' has {key}={kind} with {dropped}, "
                               f"which ember's {kind} does not take")
    return {"class_name": kind, "config": kept}


# ------------------------------------------------------------------ ember -> Keras
def keras_model_config(model: Any) -> dict:
    """The Keras ``config.json`` model entry for an ember Sequential or functional model."""
    if type(model).__name__ == "Sequential":
        layers = []
        shape = getattr(model, "_input_shape_known", None)
        if shape is not None:
            layers.append(_keras_input(list(shape), f"{model.name}_input"))
        layers += [keras_layer_config(layer) for layer in model.layers]
        return {"module": "keras", "class_name": "Sequential", "registered_name": None,
                "config": {"name": model.name, "trainable": model.trainable,
                           "layers": layers}}
    if keras_class_name(model) != "Functional":
        raise KerasConfigError(f"save: '{model.name}' is a subclassed {type(model).__name__}; "
                               "a .keras file needs a Sequential or functional model "
                               "(save the weights with save_weights('x.weights.h5'))")
    return _keras_functional(model)


def _keras_input(batch_shape: list, name: str, dtype: str = "float32") -> dict:
    return {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
            "config": {"batch_shape": batch_shape, "dtype": dtype, "sparse": False,
                       "ragged": False, "name": name}}


def _keras_functional(model: Any) -> dict:
    from ember.layers.input_layer import InputLayer
    from ember.layers.symbolic import map_structure as _map

    graph = model._graph
    own = {}  # id(node) -> (layer name, index among that layer's nodes in this model)
    counts: dict[int, int] = {}
    for node in graph.nodes:
        own[id(node)] = (node.layer.name, counts.get(id(node.layer), 0))
        counts[id(node.layer)] = counts.get(id(node.layer), 0) + 1

    def tensor(t: Any) -> dict:
        name, index = own[id(t.node)]
        return {"class_name": "__keras_tensor__", "config": {
            "shape": list(t.shape), "dtype": str(t.dtype), "keras_history": [name, index,
                                                                            t.index]}}

    def ref(t: Any) -> list:
        name, index = own[id(t.node)]
        return [name, index, t.index]

    layers = []
    for layer in functional_order(graph):
        if isinstance(layer, InputLayer):
            entry = _keras_input(list(layer.batch_shape), layer.name, layer.input_dtype)
        else:
            entry = keras_layer_config(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            {"args": [_map(n.inputs, tensor)], "kwargs": dict(n.kwargs)}
            for n in graph.nodes if n.layer is layer and n.inputs is not None]
        layers.append(entry)
    ins = [ref(t) for t in graph.inputs]
    outs = [ref(t) for t in graph.outputs]
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "registered_name": "Functional",
            "config": {"name": model.name, "trainable": model.trainable, "layers": layers,
                       "input_layers": ins[0] if len(ins) == 1 else ins,
                       "output_layers": outs[0] if len(outs) == 1 else outs}}


# ember arguments Keras has no parameter for, with the values that mean "as Keras does"
_EMBER_ONLY_DEFAULTS: dict[str, tuple] = {}
# where ember keeps a first layer's input shape; Keras takes it from the InputLayer
_SHAPE_ARGS = {"input_shape", "batch_input_shape", "input_dim", "batch_size"}


def keras_layer_config(layer: Any) -> dict:
    """The Keras ``config.json`` entry for one ember layer (a nested model included)."""
    from ember.serialization import serialize

    kind = type(layer).__name__
    if kind == "Sequential" or keras_class_name(layer) == "Functional":
        return keras_model_config(layer)
    registered = getattr(type(layer), "_registered_name", "")
    if kind not in SHARED_LAYERS and ">" in registered:  # a user's registered layer
        return {"module": None, "class_name": kind, "registered_name": registered,
                "config": serialize(layer)["config"]}
    if kind not in SHARED_LAYERS:
        raise KerasConfigError(f"save: layer '{layer.name}' is a {kind}, which has no Keras 3 "
                               "equivalent; save to .ember instead")
    cfg = serialize(layer)["config"]
    own = set(inspect.signature(type(layer).__init__).parameters)  # Embedding's input_dim
    out: dict[str, Any] = {}
    for key, value in cfg.items():
        if key in ("layer", "backward_layer"):
            sub = layer.forward_layer if key == "layer" else layer.backward_layer
            out[key] = keras_layer_config(sub)
        elif key in _SHAPE_ARGS and key not in own:
            continue
        elif key in _EMBER_ONLY_DEFAULTS:
            if value not in _EMBER_ONLY_DEFAULTS[key]:
                raise KerasConfigError(f"save: layer '{layer.name}' ({kind}) has {key}="
                                       f"{value!r}, which Keras' {kind} does not take")
        else:
            out[key] = _keras_object(key, value)
    return {"module": "keras.layers", "class_name": kind, "registered_name": None,
            "config": out}


def _keras_object(key: str, value: Any) -> Any:
    if not (isinstance(value, dict) and "class_name" in value):
        return value
    module = next((m for suffix, m in _OBJECT_MODULES if key.endswith(suffix)), None)
    if module is None:
        return value
    return {"module": module, "class_name": value["class_name"],
            "config": value.get("config") or {}, "registered_name": None}
