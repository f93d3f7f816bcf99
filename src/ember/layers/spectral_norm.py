"""``SpectralNormalization`` (Miyato et al., 2018), Keras 3's wrapper: in training, each call
runs the wrapped layer with its kernel (or embeddings) divided by an estimate of its largest
singular value, found by ``power_iterations`` steps of the power method from a kept vector
``u`` (stored back); the gradient flows through the division into the kernel, as in Keras'
fit on JAX. In inference the layer runs as it is.

Example:
    >>> import ember as em
    >>> sn = em.layers.SpectralNormalization(em.layers.Dense(3))
    >>> sn(em.ones((2, 4)), training=True).shape, sn.vector_u.shape
    ((2, 3), (1, 3))
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor, wrap_array
from ember.backend import xp_of
from ember.layers.input_spec import InputSpec
from ember.layers.wrappers import Wrapper
from ember.ops.matmul import matmul
from ember.ops.shape import reshape
from ember.serialization import register


def _normalize(x: Any) -> Any:
    xp = xp_of(x)
    return x / xp.sqrt(xp.maximum((x * x).sum(), 1e-12))  # Keras' l2 normalize, epsilon 1e-12


@register()
class SpectralNormalization(Wrapper):
    """Keep the spectral norm of ``layer``'s kernel at 1 while training."""

    def __init__(self, layer: Any, power_iterations: int = 1, **kwargs: Any) -> None:
        super().__init__(layer, **kwargs)
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, int) or \
                power_iterations <= 0:
            raise ValueError(f"SpectralNormalization: power_iterations must be a positive int; "
                             f"got {power_iterations!r}")
        self.power_iterations = power_iterations

    def build(self, input_shape: Any) -> None:
        from ember.initializers import TruncatedNormal  # not at import: `import ember` stays light

        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(f"SpectralNormalization: {type(self.layer).__name__} object has no "
                             "attribute 'kernel' nor 'embeddings'")
        self.kernel = kernel  # the wrapped layer's own variable (not a copy), as Keras
        self.vector_u = self.add_weight("vector_u", (1, kernel.shape[-1]),
                                        TruncatedNormal(stddev=0.02), trainable=False)

    def _own_variables(self) -> list:
        # Keras lists the kernel (tracked by the wrapper) first, then vector_u, then the rest
        own = super()._own_variables()
        kernel = self.__dict__.get("kernel")
        return own if kernel is None else [kernel] + [v for v in own if v is not kernel]

    def _power_method(self) -> tuple:
        """(u, v) after ``power_iterations`` steps from the kept u (constants: no gradient)."""
        w_full = self.kernel.data
        w = w_full.reshape(-1, w_full.shape[-1])
        u = self.vector_u.data
        for _ in range(self.power_iterations):
            v = _normalize(u @ w.T)
            u = _normalize(v @ w)
        return u, v

    def normalized_weights(self) -> tuple:
        """(new u, kernel / sigma) as arrays, from the current kernel and u (Keras' method)."""
        u, v = self._power_method()
        w_full = self.kernel.data
        sigma = (v @ w_full.reshape(-1, w_full.shape[-1])) @ u.T
        return u, (w_full / sigma).astype(w_full.dtype)

    def call(self, inputs: Tensor, training: Any = False) -> Tensor:
        if not training or not bool((self.kernel.data != 0).any()):
            return self.layer(inputs)
        u, v = self._power_method()
        self.vector_u.assign(u.astype(self.vector_u.data.dtype))
        # sigma = v W u^T with u, v held constant, so the gradient flows through W / sigma(W)
        # into the kernel, which itself is not overwritten: what Keras computes in fit on JAX
        # (its eager call(training=True) also assigns W / sigma to the kernel)
        w = self.kernel  # the Variable itself: the op records the gradient to it
        flat = reshape(w, (-1, self.kernel.shape[-1]))
        sigma = matmul(matmul(wrap_array(v.astype(flat.data.dtype)), flat),
                       wrap_array(u.T.astype(flat.data.dtype)))
        normalized = w / reshape(sigma, ())
        attr = "kernel" if getattr(self.layer, "kernel", None) is self.kernel else "embeddings"
        object.__setattr__(self.layer, attr, normalized)  # swapped in for this call only
        try:
            return self.layer(inputs)
        finally:
            object.__setattr__(self.layer, attr, self.kernel)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "power_iterations": self.power_iterations}
