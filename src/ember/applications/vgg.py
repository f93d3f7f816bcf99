"""VGG16 and VGG19 (Simonyan & Zisserman, 2014) with Keras' constructor, layer names and
weight files.

Example:
    >>> import ember as em
    >>> model = em.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    >>> model.output_shape
    (None, 1, 1, 512)
"""

from __future__ import annotations

from typing import Any

from ember.applications import imagenet_utils
from ember.applications.weights import KERAS_WEIGHTS_URL, get_weights_file, load_weights_file

_FILES = {  # name -> (with top, md5), (without top, md5): Keras' published files
    "vgg16": (("vgg16_weights_tf_dim_ordering_tf_kernels.h5",
               "64373286793e3c8b2b4e3219cbf3544b"),
              ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
               "6d6bbae143d832006294945121d1f1fc")),
    "vgg19": (("vgg19_weights_tf_dim_ordering_tf_kernels.h5",
               "cbe5617147190e668d6c5d5026f83318"),
              ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
               "253f8cb515780f3b799900260a226db6")),
}


def _vgg(name: str, convs: tuple, include_top: bool, weights: Any, input_tensor: Any,
         input_shape: Any, pooling: str | None, classes: int, classifier_activation: Any,
         name_arg: str | None) -> Any:
    import ember as em

    L = em.layers
    shape = imagenet_utils.check_arguments(name.upper(), weights, include_top, classes, pooling,
                                           input_shape, 224, 32)
    inputs = input_tensor if input_tensor is not None else em.Input(shape)
    x = inputs
    for block, (filters, count) in enumerate(zip((64, 128, 256, 512, 512), convs), 1):
        for i in range(1, count + 1):
            x = L.Conv2D(filters, (3, 3), activation="relu", padding="same",
                         name=f"block{block}_conv{i}")(x)
        x = L.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = L.Flatten(name="flatten")(x)
        x = L.Dense(4096, activation="relu", name="fc1")(x)
        x = L.Dense(4096, activation="relu", name="fc2")(x)
        x = L.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = L.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = L.GlobalMaxPooling2D()(x)
    model = em.Model(inputs, x, name=name_arg or name)
    if weights == "imagenet":
        filename, md5 = _FILES[name][0 if include_top else 1]
        weights = get_weights_file(filename, KERAS_WEIGHTS_URL + name + "/", md5)
    if weights is not None:
        load_weights_file(model, weights)
    return model


def VGG16(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
          input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
          classifier_activation: Any = "softmax", name: str = "vgg16") -> Any:
    """VGG16 as ``keras.applications.VGG16`` builds it (13 conv layers, 3 dense)."""
    return _vgg("vgg16", (2, 2, 3, 3, 3), include_top, weights, input_tensor, input_shape,
                pooling, classes, classifier_activation, name)


def VGG19(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
          input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
          classifier_activation: Any = "softmax", name: str = "vgg19") -> Any:
    """VGG19 as ``keras.applications.VGG19`` builds it (16 conv layers, 3 dense)."""
    return _vgg("vgg19", (2, 2, 4, 4, 4), include_top, weights, input_tensor, input_shape,
                pooling, classes, classifier_activation, name)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Keras' VGG preprocessing ("caffe": BGR, ImageNet mean subtracted)."""
    return imagenet_utils.preprocess_input(x, data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions
