"""Tensors, the graph they record, and reverse-mode differentiation."""

from ember.autograd.engine import grad, run_backward
from ember.autograd.mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from ember.autograd.tape import GradientTape
from ember.autograd.tensor import Tensor, as_tensor, record_op, wrap_array

__all__ = [
    "Tensor", "GradientTape", "as_tensor", "grad", "run_backward",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "record_op", "wrap_array",
]
