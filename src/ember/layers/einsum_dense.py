"""``EinsumDense``: Keras 3's dense layer of any rank, ``activation(einsum(equation, x,
kernel) + bias)``, e.g. "ab,bc->ac" (Dense), "abc,cd->abd" (Dense on every step) or
"abc,cde->abde" (a projection to heads, as in attention).

The kernel's and bias' shapes come from the equation as Keras works them out:
``output_shape`` gives the output's non-batch sizes (None where an input axis carries over),
each kernel letter takes the size of the output or input axis of that letter, and the bias
spans the output axes from the first letter of ``bias_axes`` on (size 1 where a letter is not
in ``bias_axes``). Variance-scaling initializers (glorot_uniform, ...) see Keras' fans: the
product of the kernel's input-axis sizes and of its output-axis sizes.

Example:
    >>> import ember as em
    >>> layer = em.layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 4),
    ...                               bias_axes="de")
    >>> layer(em.ones((3, 5, 6))).shape, layer.kernel.shape, layer.bias.shape
    ((3, 5, 2, 4), (6, 2, 4), (2, 4))
"""

from __future__ import annotations

import math
import re
from typing import Any

from ember.autograd.tensor import Tensor
from ember.layers import _config
from ember.layers.base import Layer
from ember.layers.output_logits import activation_of
from ember.ops.linalg import einsum
from ember.serialization import register


def analyze(equation: str, bias_axes: str | None, input_shape: tuple, output_shape: Any,
            who: str = "EinsumDense") -> tuple:
    """(kernel_shape, bias_shape or None, full output shape, kernel input axes, kernel output
    axes) of ``equation`` on inputs of ``input_shape``, as Keras' EinsumDense computes them."""
    eq = re.sub(r"\.\.\.", "0", str(equation).replace(" ", ""))
    left = False
    match = re.fullmatch("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", eq)
    if match is None:
        match = re.fullmatch("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", eq)
        left = match is not None
    if match is None:
        match = re.fullmatch("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", eq)
    if match is None:
        raise ValueError(f"{who}: invalid einsum equation {equation!r}; it must be "
                         "'X,Y->Z', '...X,Y->...Z' or 'X...,Y->Z...'")
    ins, ws, outs = match.groups()
    shape = tuple(input_shape)
    elided = len(shape) - len(ins)
    if elided < 0 or (elided and "0" not in eq):
        raise ValueError(f"{who}: the equation {equation!r} has {len(ins)} input axes but the "
                         f"input has shape {shape}")
    out = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    out.insert(0, shape[0])
    if elided > 0 and left:
        for i in range(1, elided):
            out.insert(1, shape[i])
    elif elided > 0:
        out.extend(shape[len(shape) - elided:])
    if left:
        in_map = {d: (i + elided) - len(shape) for i, d in enumerate(ins)}
        out_map = {d: i + elided for i, d in enumerate(outs)}
    else:
        in_map = {d: i for i, d in enumerate(ins)}
        out_map = {d: i for i, d in enumerate(outs)}
    for d, i in out_map.items():  # an output axis left None carries the input's size over
        if out[i] is None and d in in_map:
            out[i] = shape[in_map[d]]
    if len(out) != len(outs) + elided:
        raise ValueError(f"{who}: output_shape {output_shape!r} does not match the "
                         f"{len(outs) - 1} non-batch output axes of {equation!r}")
    for d in ins:
        if d in out_map and out[out_map[d]] is not None and out[out_map[d]] != shape[in_map[d]]:
            raise ValueError(f"{who}: input and output sizes differ at the shared axis '{d}': "
                             f"input {shape[in_map[d]]}, output {out[out_map[d]]}")
    for d in outs:
        if d not in ins and d not in ws:
            raise ValueError(f"{who}: output axis '{d}' of {equation!r} is in neither the "
                             "input nor the kernel")
    kernel, in_axes, out_axes = [], [], []
    for i, d in enumerate(ws):
        if d in out_map:
            kernel.append(out[out_map[d]])
            out_axes.append(i)
        elif d in in_map:
            kernel.append(shape[in_map[d]])
            in_axes.append(i)
        else:
            raise ValueError(f"{who}: kernel axis '{d}' of {equation!r} is in neither the "
                             "input nor the output")
    if any(k is None for k in kernel):
        raise ValueError(f"{who}: the kernel shape {kernel} of {equation!r} is not fully known "
                         f"from input shape {shape} and output_shape {output_shape!r}")
    bias = None
    if bias_axes is not None:
        for c in bias_axes:
            if c not in outs:
                raise ValueError(f"{who}: bias axis '{c}' is not an output axis of "
                                 f"{equation!r}")
        skip = elided if left else 0
        sizes = {c: out[i + skip] for i, c in enumerate(outs)}
        first = min(outs.find(c) for c in bias_axes)
        bias = [sizes[c] if c in bias_axes else 1 for c in outs[first:]]
        if not left:
            bias.extend([1] * elided)
    return tuple(kernel), None if bias is None else tuple(bias), tuple(out), in_axes, out_axes


def _fanned(init: Any, shape: tuple, in_axes: list, out_axes: list) -> Any:
    """A variance-scaling initializer sees (fan_in, fan_out) = Keras' products of the kernel's
    input and output axis sizes; its draws are i.i.d., so a reshape gives the kernel."""
    from ember.initializers import VarianceScaling  # not at import: `import ember` stays light

    if not isinstance(init, VarianceScaling):
        return init
    fan_in = math.prod(shape[i] for i in in_axes)
    fan_out = math.prod(shape[i] for i in out_axes)
    return lambda s, dtype=None: init((fan_in, fan_out), dtype).reshape(s)


@register()
class EinsumDense(Layer):
    """A dense layer written as an einsum (see the module docstring)."""

    holds_back_activation = True  # call ends in activation_of(self)

    def __init__(self, equation: str, output_shape: Any, activation: Any = None,
                 bias_axes: str | None = None, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, lora_rank: int | None = None,
                 lora_alpha: float | None = None, **kwargs: Any) -> None:
        kwargs.pop("gptq_unpacked_column_size", None)
        if kwargs.pop("quantization_config", None) is not None or lora_rank:
            raise NotImplementedError("EinsumDense: quantization and LoRA are not supported")
        super().__init__(**kwargs)
        if not isinstance(equation, str):
            raise ValueError(f"EinsumDense: equation must be a string; got {equation!r}")
        self.equation = equation
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) \
            else tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = _config.get_activation(activation)
        _config.set_kernel_bias_options(
            self, kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)

    def build(self, input_shape: tuple) -> None:
        kernel, bias, self.full_output_shape, in_axes, out_axes = analyze(
            self.equation, self.bias_axes, tuple(input_shape), self.partial_output_shape,
            f"EinsumDense '{self.name}'")
        self.kernel = self.add_weight(
            "kernel", kernel, _fanned(self.kernel_initializer, kernel, in_axes, out_axes),
            self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = None if bias is None else self.add_weight(
            "bias", bias, self.bias_initializer, self.bias_regularizer,
            constraint=self.bias_constraint)

    def call(self, inputs: Tensor) -> Tensor:
        y = einsum(self.equation, inputs, self.kernel)
        y = y if self.bias is None else y + self.bias
        act = activation_of(self)  # None while the trainer takes this output's logits
        return y if act is None else act(y)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return analyze(self.equation, self.bias_axes, tuple(input_shape),
                       self.partial_output_shape, f"EinsumDense '{self.name}'")[2]

    def get_config(self) -> dict:
        s = _config.serialize
        return {**super().get_config(), "output_shape": list(self.partial_output_shape),
                "equation": self.equation, "activation": s(self.activation),
                "bias_axes": self.bias_axes, **_config.kernel_bias_config(self)}
