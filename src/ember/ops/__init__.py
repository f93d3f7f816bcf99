"""The differentiable operations; importing them attaches Tensor's operators and methods.

``ember/ops/tensor_operators.py`` binds them (one place) and holds the table of which op each
operator calls (``a + b`` is ``ember.ops.elementwise.add``): this keeps ``autograd/tensor.py``
free of op code and avoids import cycles (ops import Tensor; Tensor learns its methods here).
"""

from __future__ import annotations

from ember.autograd.tensor import Tensor
from ember.ops import tensor_operators as _tensor_operators
from ember.ops.activation_ops import (
    elu,
    erf,
    gelu,
    leaky_relu,
    relu,
    selu,
    silu,
    softplus,
)
from ember.ops.elementwise import (
    abs,
    add,
    clip,
    cos,
    div,
    exp,
    expm1,
    floordiv,
    log,
    log1p,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    remainder,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    sub,
    tan,
    tanh,
    where,
)
from ember.ops.elementwise_extra import *  # noqa: F403
from ember.ops.elementwise_extra import __all__ as _ex_all
from ember.ops.indexing import *  # noqa: F403
from ember.ops.indexing import __all__ as _ix_all
from ember.ops.linear import batch_norm, layer_norm
from ember.ops.matmul import dot, matmul, outer
from ember.ops.matrix_ops import *  # noqa: F403
from ember.ops.matrix_ops import __all__ as _mx_all
from ember.ops.misc import astype, clone, to
from ember.ops.nn import (
    dropout,
    log_softmax,
    sigmoid_cross_entropy,
    softmax,
    softmax_cross_entropy,
)
from ember.ops.reduction import (
    all,
    any,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from ember.ops.shape import (
    broadcast_to,
    concatenate,
    expand_dims,
    flatten,
    getitem,
    index_add,
    one_hot,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    sum_to,
    swapaxes,
    take,
    take_along_axis,
    transpose,
)
from ember.ops.shape_extra import *  # noqa: F403
from ember.ops.shape_extra import __all__ as _sx_all
from ember.ops.shape_extra import flatten  # noqa: F811 - flatten(x, start, end)
from ember.ops.sorting import *  # noqa: F403
from ember.ops.sorting import __all__ as _so_all

_TORCH_NAMES = [*_ex_all, *_ix_all, *_mx_all, *_sx_all, *_so_all]

__all__ = [
    *_TORCH_NAMES,
    "abs", "add", "clip", "cos", "div", "elu", "erf", "exp", "expm1", "floordiv", "gelu",
    "leaky_relu", "log", "log1p", "maximum", "minimum", "mul", "neg", "pow", "relu",
    "remainder", "selu", "sigmoid", "sign", "silu", "sin", "softplus", "sqrt", "square", "sub",
    "tan", "tanh", "where", "dot", "matmul", "outer", "astype", "clone", "to", "dropout",
    "log_softmax", "sigmoid_cross_entropy", "softmax", "softmax_cross_entropy", "all", "any",
    "argmax", "argmin", "logsumexp", "max", "mean", "min", "prod", "std", "sum", "var",
    "broadcast_to", "concatenate", "expand_dims", "flatten", "getitem", "index_add", "one_hot",
    "pad", "permute", "reshape", "split", "squeeze", "stack", "sum_to", "swapaxes", "take",
    "take_along_axis", "transpose",
    "batch_norm", "layer_norm",
]


# Tensor's operators (`a + b` is elementwise.add, ...) are attached here, once; the table that
# says which op each operator calls is ember/ops/tensor_operators.py.
_tensor_operators.bind(Tensor)
