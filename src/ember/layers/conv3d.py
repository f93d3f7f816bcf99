"""``Conv3D``: 3-D convolution over (batch, depth, height, width, channels) volumes, Keras 3's
layer and kernel layout (kd, kh, kw, in_channels, filters).

Composed from ``ember.ops.conv.conv2d``: one 2-D convolution per depth tap of the kernel, on
the depth slices that tap sees folded into the batch, summed. Its backward is the 2-D op's.
"same" padding puts an odd extra pad at the end, as TensorFlow.

Example:
    >>> import ember as em
    >>> em.layers.Conv3D(4, 3, padding="same")(em.ones((1, 5, 6, 6, 2))).shape
    (1, 5, 6, 6, 4)
"""

from __future__ import annotations

from ember.autograd.tensor import Tensor
from ember.layers.convolutional import _Conv
from ember.layers.depthwise import _same_pad
from ember.layers.output_logits import activation_of
from ember.ops import conv as conv_ops
from ember.ops.shape import getitem, pad, reshape
from ember.serialization import register


@register()
class Conv3D(_Conv):
    """3-D convolution; ``Conv3D(filters, kernel_size, strides=1, padding="valid",
    dilation_rate=1, activation=None, use_bias=True, ...)``."""

    rank = 3
    layout = "(batch, depth, height, width, channels)"
    _fuses_relu = False

    def _conv(self, x: Tensor) -> Tensor:
        kd = self.kernel_size[0]
        sd, dd = self.strides[0], self.dilation_rate[0]
        if self.padding == "same":
            x = pad(x, ((0, 0), _same_pad(x.shape[1], kd, sd, dd), (0, 0), (0, 0), (0, 0)))
        b, depth = x.shape[0], x.shape[1]
        out_d = (depth - dd * (kd - 1) - 1) // sd + 1
        if out_d < 1:
            raise ValueError(f"Conv3D '{self.name}': the kernel spans {dd * (kd - 1) + 1} "
                             f"along depth but the input has only {depth}")
        y = None
        for i in range(kd):
            taps = getitem(x, (slice(None), slice(i * dd, i * dd + sd * (out_d - 1) + 1, sd)))
            folded = reshape(taps, (b * out_d,) + tuple(x.shape[2:]))
            term = conv_ops.conv2d(folded, getitem(self.kernel, i), None, self.strides[1:],
                                   self.padding, self.dilation_rate[1:], False)
            y = term if y is None else y + term
        y = reshape(y, (b, out_d) + tuple(y.shape[1:]))
        y = y if self.bias is None else y + self.bias
        act = activation_of(self)  # None while the trainer takes this output's logits
        return y if act is None else act(y)
