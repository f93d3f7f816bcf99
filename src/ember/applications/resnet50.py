"""ResNet50 (He et al., 2015; Keras' "v1" blocks) with Keras' constructor, layer names and
weight files.

Example:
    >>> import ember as em
    >>> model = em.applications.ResNet50(weights=None, include_top=False, pooling="avg",
    ...                                  input_shape=(32, 32, 3))
    >>> model.output_shape
    (None, 2048)
"""

from __future__ import annotations

from typing import Any

from ember.applications import imagenet_utils
from ember.applications.weights import KERAS_WEIGHTS_URL, get_weights_file, load_weights_file

_FILES = (("resnet50_weights_tf_dim_ordering_tf_kernels.h5",
           "2cb95161c43110f7111970584f804107"),
          ("resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
           "4d473c1dd8becc155b73f8504c6f6626"))
_EPS = 1.001e-5


def _block(x: Any, filters: int, stride: int = 1, conv_shortcut: bool = True,
           name: str = "") -> Any:
    from ember import layers as L

    if conv_shortcut:
        shortcut = L.Conv2D(4 * filters, 1, strides=stride, name=name + "_0_conv")(x)
        shortcut = L.BatchNormalization(axis=3, epsilon=_EPS, name=name + "_0_bn")(shortcut)
    else:
        shortcut = x
    x = L.Conv2D(filters, 1, strides=stride, name=name + "_1_conv")(x)
    x = L.BatchNormalization(axis=3, epsilon=_EPS, name=name + "_1_bn")(x)
    x = L.Activation("relu", name=name + "_1_relu")(x)
    x = L.Conv2D(filters, 3, padding="same", name=name + "_2_conv")(x)
    x = L.BatchNormalization(axis=3, epsilon=_EPS, name=name + "_2_bn")(x)
    x = L.Activation("relu", name=name + "_2_relu")(x)
    x = L.Conv2D(4 * filters, 1, name=name + "_3_conv")(x)
    x = L.BatchNormalization(axis=3, epsilon=_EPS, name=name + "_3_bn")(x)
    x = L.Add(name=name + "_add")([shortcut, x])
    return L.Activation("relu", name=name + "_out")(x)


def _stack(x: Any, filters: int, blocks: int, stride1: int = 2, name: str = "") -> Any:
    x = _block(x, filters, stride=stride1, name=name + "_block1")
    for i in range(2, blocks + 1):
        x = _block(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def ResNet50(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
             input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
             classifier_activation: Any = "softmax", name: str = "resnet50") -> Any:
    """ResNet50 as ``keras.applications.ResNet50`` builds it."""
    import ember as em

    L = em.layers
    shape = imagenet_utils.check_arguments("ResNet50", weights, include_top, classes, pooling,
                                           input_shape, 224, 32)
    inputs = input_tensor if input_tensor is not None else em.Input(shape)
    x = L.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(inputs)
    x = L.Conv2D(64, 7, strides=2, use_bias=True, name="conv1_conv")(x)
    x = L.BatchNormalization(axis=3, epsilon=_EPS, name="conv1_bn")(x)
    x = L.Activation("relu", name="conv1_relu")(x)
    x = L.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = L.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = _stack(x, 64, 3, stride1=1, name="conv2")
    x = _stack(x, 128, 4, name="conv3")
    x = _stack(x, 256, 6, name="conv4")
    x = _stack(x, 512, 3, name="conv5")
    if include_top:
        x = L.GlobalAveragePooling2D(name="avg_pool")(x)
        x = L.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = L.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = L.GlobalMaxPooling2D(name="max_pool")(x)
    model = em.Model(inputs, x, name=name)
    if weights == "imagenet":
        filename, md5 = _FILES[0 if include_top else 1]
        weights = get_weights_file(filename, KERAS_WEIGHTS_URL + "resnet/", md5)
    if weights is not None:
        load_weights_file(model, weights)
    return model


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Keras' ResNet50 preprocessing ("caffe": BGR, ImageNet mean subtracted)."""
    return imagenet_utils.preprocess_input(x, data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions
