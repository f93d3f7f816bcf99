"""Keras-style layers: ``em.layers.Dense``, ``em.layers.Dropout``, ... and the ``Layer`` base
for writing your own (see docs/custom_layers.md).

Example:
    >>> import ember as em
    >>> em.utils.set_random_seed(0)
    >>> layer = em.layers.Dense(3)
    >>> layer(em.ones((2, 4))).shape, layer.count_params()
    ((2, 3), 15)
"""

from __future__ import annotations

from typing import Any

from ember.layers.activation_layers import ELU, LeakyReLU, PReLU, Softmax
from ember.layers.adaptive_pooling import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)
from ember.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from ember.layers.augmentation import (
    GaussianNoise,
    RandomBrightness,
    RandomContrast,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from ember.layers.base import Layer
from ember.layers.bidirectional import Bidirectional
from ember.layers.category_encoding import CategoryEncoding, Discretization
from ember.layers.color_augmentation import (
    AutoContrast,
    RandomColorDegeneration,
    RandomGrayscale,
    RandomInvert,
    RandomPosterization,
    Solarization,
)
from ember.layers.conv1d_transpose import Conv1DTranspose
from ember.layers.conv3d import Conv3D
from ember.layers.conv3d_transpose import Conv3DTranspose
from ember.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D
from ember.layers.convolutional import Conv1D, Conv2D, Conv2DTranspose
from ember.layers.core import Activation, Dense, Dropout, Flatten, Lambda, Permute, Reshape
from ember.layers.core_extra import (
    ActivityRegularization,
    Dot,
    Identity,
    Masking,
    RepeatVector,
    dot,
)
from ember.layers.cropping import Cropping1D, Cropping2D, Cropping3D, ZeroPadding3D
from ember.layers.depthwise import DepthwiseConv2D, ReLU
from ember.layers.einsum_dense import EinsumDense
from ember.layers.embedding import Embedding
from ember.layers.group_norm import GroupNormalization, UnitNormalization
from ember.layers.hashing import Hashing
from ember.layers.input_spec import InputSpec
from ember.layers.lookup import IntegerLookup, StringLookup
from ember.layers.merge import (
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    maximum,
    minimum,
    multiply,
    subtract,
)
from ember.layers.naming import clear_session
from ember.layers.noise import (
    AlphaDropout,
    GaussianDropout,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from ember.layers.normalization import BatchNormalization, LayerNormalization
from ember.layers.pipeline import Pipeline
from ember.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from ember.layers.pooling3d import (
    AveragePooling3D,
    GlobalAveragePooling3D,
    GlobalMaxPooling3D,
    MaxPooling3D,
    UpSampling3D,
)
from ember.layers.preprocessing import Normalization, Rescaling
from ember.layers.recurrent import GRU, LSTM, SimpleRNN
from ember.layers.resizing import CenterCrop, RandomCrop, Resizing
from ember.layers.rms_norm import RMSNormalization
from ember.layers.rnn import RNN
from ember.layers.rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from ember.layers.separable import DepthwiseConv1D, SeparableConv1D, SeparableConv2D
from ember.layers.spectral_norm import SpectralNormalization
from ember.layers.wrappers import TimeDistributed, Wrapper

# Keras' aliases are the same class objects (keras.layers.MaxPool2D is MaxPooling2D)
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (GlobalMaxPooling1D, GlobalMaxPooling2D,
                                                     GlobalMaxPooling3D)


def serialize(layer: Layer) -> dict:
    """``{"class_name": ..., "config": layer.get_config()}``."""
    from ember import serialization

    return serialization.serialize(layer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Layer:
    """The layer ``serialize`` described (classes looked up by name, never code)."""
    from ember import serialization

    return serialization.deserialize(config, custom_objects)


def get(identifier: Any) -> Any:
    """A layer from a layer, or from a serialized ``{"class_name", "config"}`` dict."""
    if isinstance(identifier, Layer):
        return identifier
    return deserialize(identifier)


__all__ = [
    "Layer", "Dense", "Activation", "Flatten", "Reshape", "Permute", "Dropout", "Lambda",
    "BatchNormalization", "LayerNormalization", "clear_session", "serialize", "deserialize",
    "get", "Add", "Average", "add", "average", "concatenate", "maximum", "minimum", "multiply",
    "subtract", "Concatenate", "Maximum", "Minimum", "Multiply", "Subtract",
    "Input", "InputLayer", "Conv1D", "Conv2D", "Conv2DTranspose", "AveragePooling1D",
    "AveragePooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "MaxPooling1D", "MaxPooling2D", "UpSampling1D", "UpSampling2D",
    "ZeroPadding1D", "ZeroPadding2D", "Normalization", "Rescaling", "RandomFlip", "RandomRotation",
    "RandomTranslation", "RandomZoom", "RandomContrast", "RandomBrightness", "GaussianNoise",
    "Embedding", "SimpleRNN", "LSTM", "GRU", "Bidirectional", "DepthwiseConv2D", "ReLU",
    "CategoryEncoding", "Discretization", "Hashing", "IntegerLookup", "StringLookup",
    "TextVectorization",
    "LeakyReLU", "PReLU", "ELU", "Softmax",
    "Attention", "AdditiveAttention", "MultiHeadAttention",
    "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells",
    "TimeDistributed", "RepeatVector", "Identity", "ActivityRegularization", "Masking", "Dot",
    "Resizing", "CenterCrop", "RandomCrop", "Cropping1D", "Cropping2D", "Cropping3D",
    "ZeroPadding3D",
    "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "Conv1DTranspose",
    "GroupNormalization", "UnitNormalization", "Conv3D",
    "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "AlphaDropout",
    "AutoContrast", "RandomGrayscale", "RandomInvert", "Solarization", "RandomPosterization",
    "RandomColorDegeneration", "ConvLSTM1D", "ConvLSTM2D",
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D", "Conv3DTranspose",
    "AveragePooling3D", "MaxPooling3D", "GlobalAveragePooling3D", "GlobalMaxPooling3D",
    "UpSampling3D", "dot",
    "Convolution1D", "Convolution2D", "Convolution3D", "Convolution1DTranspose",
    "Convolution2DTranspose", "Convolution3DTranspose", "SeparableConvolution1D",
    "SeparableConvolution2D", "AvgPool1D", "AvgPool2D", "AvgPool3D", "MaxPool1D", "MaxPool2D",
    "MaxPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D", "GlobalMaxPool1D",
    "GlobalMaxPool2D", "GlobalMaxPool3D",
    "RMSNormalization", "EinsumDense", "InputSpec", "Wrapper", "Pipeline",
    "SpectralNormalization",
]


def __getattr__(name: str) -> Any:
    # Input / InputLayer (ember.layers.input_layer) import Layer from this package: resolve
    # them on first use to avoid an import cycle.
    if name == "TextVectorization":  # its regexes and tables load on first use
        from ember.layers.text_vectorization import TextVectorization

        return TextVectorization
    if name in ("Input", "InputLayer"):
        from ember.layers import input_layer

        return getattr(input_layer, name)
    raise AttributeError(f"module 'ember.layers' has no attribute {name!r}")
