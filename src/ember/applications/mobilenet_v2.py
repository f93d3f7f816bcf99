"""MobileNetV2 (Sandler et al., 2018) with Keras' constructor, layer names and weight files.

Example:
    >>> import ember as em
    >>> em.applications.MobileNetV2(weights=None, include_top=False, pooling="avg",
    ...                             input_shape=(32, 32, 3)).output_shape
    (None, 1280)
"""

from __future__ import annotations

from typing import Any

from ember.applications import imagenet_utils
from ember.applications.weights import KERAS_WEIGHTS_URL, get_weights_file, load_weights_file


def _make_divisible(v: float, divisor: int = 8) -> int:
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return int(new_v + divisor) if new_v < 0.9 * v else int(new_v)


def _correct_pad(size: tuple) -> tuple:
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    return ((1 - adjust[0], 1), (1 - adjust[1], 1))


def _block(x: Any, expansion: int, stride: int, alpha: float, filters: int,
           block_id: int) -> Any:
    from ember import layers as L

    inputs = x
    in_channels = x.shape[-1]
    pointwise = _make_divisible(int(filters * alpha), 8)
    prefix = f"block_{block_id}_"
    if block_id:
        x = L.Conv2D(expansion * in_channels, 1, padding="same", use_bias=False,
                     name=prefix + "expand")(x)
        x = L.BatchNormalization(epsilon=1e-3, momentum=0.999, name=prefix + "expand_BN")(x)
        x = L.ReLU(6.0, name=prefix + "expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = L.ZeroPadding2D(padding=_correct_pad(x.shape[1:3]), name=prefix + "pad")(x)
    x = L.DepthwiseConv2D(3, strides=stride, use_bias=False,
                          padding="same" if stride == 1 else "valid",
                          name=prefix + "depthwise")(x)
    x = L.BatchNormalization(epsilon=1e-3, momentum=0.999, name=prefix + "depthwise_BN")(x)
    x = L.ReLU(6.0, name=prefix + "depthwise_relu")(x)
    x = L.Conv2D(pointwise, 1, padding="same", use_bias=False, name=prefix + "project")(x)
    x = L.BatchNormalization(epsilon=1e-3, momentum=0.999, name=prefix + "project_BN")(x)
    if in_channels == pointwise and stride == 1:
        return L.Add(name=prefix + "add")([inputs, x])
    return x


_BLOCKS = [(16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6),
           (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6),
           (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6)]  # (filters, stride, expansion)


def MobileNetV2(input_shape: Any = None, alpha: float = 1.0, include_top: bool = True,
                weights: Any = "imagenet", input_tensor: Any = None,
                pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str | None = None) -> Any:
    """MobileNetV2 as ``keras.applications.MobileNetV2`` builds it."""
    import ember as em

    L = em.layers
    if weights == "imagenet" and alpha not in (0.35, 0.5, 0.75, 1.0, 1.3, 1.4):
        raise ValueError(f"MobileNetV2: ImageNet weights exist for alpha in 0.35, 0.5, 0.75, "
                         f"1.0, 1.3, 1.4; got {alpha}")
    shape = imagenet_utils.check_arguments("MobileNetV2", weights, include_top, classes,
                                           pooling, input_shape, 224, 32)
    inputs = input_tensor if input_tensor is not None else em.Input(shape)
    x = L.Conv2D(_make_divisible(32 * alpha, 8), 3, strides=(2, 2), padding="same",
                 use_bias=False, name="Conv1")(inputs)
    x = L.BatchNormalization(epsilon=1e-3, momentum=0.999, name="bn_Conv1")(x)
    x = L.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _block(x, expansion, stride, alpha, filters, block_id)
    last = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = L.Conv2D(last, 1, use_bias=False, name="Conv_1")(x)
    x = L.BatchNormalization(epsilon=1e-3, momentum=0.999, name="Conv_1_bn")(x)
    x = L.ReLU(6.0, name="out_relu")(x)
    if include_top:
        x = L.GlobalAveragePooling2D()(x)
        x = L.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = L.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = L.GlobalMaxPooling2D()(x)
    rows = shape[0] if shape[0] in (96, 128, 160, 192, 224) else 224
    model = em.Model(inputs, x, name=name or f"mobilenetv2_{alpha:0.2f}_{rows}")
    if weights == "imagenet":
        top = "" if include_top else "_no_top"
        filename = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}" \
            f"{top}.h5"
        weights = get_weights_file(filename, KERAS_WEIGHTS_URL + "mobilenet_v2/", None)
    if weights is not None:
        load_weights_file(model, weights)
    return model


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Keras' MobileNetV2 preprocessing ("tf": scaled to [-1, 1])."""
    return imagenet_utils.preprocess_input(x, data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
