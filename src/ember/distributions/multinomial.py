"""The multinomial distribution: class counts of ``total_count`` independent categorical draws."""

from __future__ import annotations

import numbers
from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.backend import xp_of
from ember.distributions.binomial import Binomial
from ember.distributions.categorical import Categorical
from ember.distributions.distribution import Distribution, is_integer
from ember.distributions.special import log_factorial
from ember.ops import broadcast_to, exp, where
from ember.ops import sum as _sum


class Multinomial(Distribution):
    """Multinomial(total_count, p): counts (x_1 .. x_K) summing to ``total_count`` (an int).

    log p(x) = log(n!) - sum_k log(x_k!) + sum_k x_k log p_k. ``probs`` / ``logits`` follow
    ``Categorical`` (rows are normalized); ``event_shape`` is (K,), so one draw is a vector of
    counts and ``log_prob`` reduces over the last axis.

    Example:
        >>> import ember as em
        >>> d = em.distributions.Multinomial(4, probs=[0.5, 0.5])
        >>> round(d.log_prob([2.0, 2.0]).exp().item(), 4)   # C(4, 2) / 2**4
        0.375
        >>> d.sample((3,)).sum(-1).tolist()
        [4.0, 4.0, 4.0]
    """

    def __init__(self, total_count: int = 1, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        if isinstance(total_count, Tensor):
            if total_count.size != 1:
                raise NotImplementedError("Multinomial: total_count must be one number for the "
                                          "whole batch (as in PyTorch); got shape "
                                          f"{tuple(total_count.shape)}")
            total_count = total_count.item()
        if isinstance(total_count, bool) or not isinstance(total_count, numbers.Real) \
                or total_count != int(total_count) or total_count < 0:
            raise ValueError(f"Multinomial: total_count must be a whole number >= 0; got "
                             f"{total_count!r}")
        self.total_count = int(total_count)
        try:
            self._categorical = Categorical(probs, logits, validate_args)
        except ValueError as exc:  # the same checks; name the class the user called
            raise ValueError(str(exc).replace("Categorical", "Multinomial", 1)) from None
        cat = self._categorical
        super().__init__(cat.batch_shape, (cat._num_events,), validate_args)
        self._is_probs = cat._is_probs

    @property
    def support(self) -> str:  # type: ignore[override]
        return f"whole-number counts >= 0 over the last axis, summing to {self.total_count}"

    def _repr_params(self) -> tuple:
        return ("total_count", "probs" if self._is_probs else "logits")

    @property
    def probs(self) -> Tensor:
        """Normalized class probabilities."""
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        """Normalized log-probabilities."""
        return self._categorical.logits

    @property
    def param_shape(self) -> tuple:
        return self._categorical.param_shape

    @property
    def mean(self) -> Tensor:
        return self.probs * float(self.total_count)

    @property
    def variance(self) -> Tensor:
        p = self.probs
        return p * (1 - p) * float(self.total_count)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Counts drawn class by class: x_k ~ Binomial(n - x_1 - ... - x_(k-1),
        p_k / (1 - p_1 - ... - p_(k-1))), vectorized over the batch (a loop over classes only).
        """
        shape = self._extended_shape(sample_shape)
        p = self.probs.data
        xp = xp_of(p)
        gen = backend.rng(xp)
        pk = xp.broadcast_to(p.astype("float64"), shape)
        left_n = xp.full(shape[:-1], self.total_count, dtype="int64")
        left_p = xp.ones(shape[:-1], dtype="float64")
        out = xp.zeros(shape, dtype=p.dtype)
        for k in range(shape[-1] - 1):
            safe = xp.where(left_p > 0, left_p, 1.0)
            q = xp.clip(xp.where(left_p > 0, pk[..., k] / safe, 0.0), 0.0, 1.0)
            draw = xp.asarray(gen.binomial(left_n, q)).astype("int64")
            out[..., k] = draw
            left_n = left_n - draw
            left_p = left_p - pk[..., k]
        out[..., -1] = left_n
        return wrap_array(out)

    def _in_support(self, value: Any) -> Any:
        xp = xp_of(value)
        counts_ok = ((value >= 0) & is_integer(value)).all(axis=-1)
        sums_ok = xp.abs(value.sum(axis=-1) - self.total_count) < 0.5
        return (counts_ok & sums_ok)[..., None]  # one verdict per row, shown with the row

    def log_prob(self, value: Any) -> Tensor:
        logits = self.logits
        v = self._value(value, logits)
        xp = xp_of(logits.data)
        shape = backend.numpy_module().broadcast_shapes(tuple(v.shape), tuple(logits.shape))
        v = broadcast_to(v, shape)
        # 0 * log(0) is 0 here (a class with p = 0 that was never drawn), not NaN
        never = (v.data == 0) & (logits.data == -xp.inf)
        log_powers = _sum(where(never, 0.0, logits) * v, axis=-1)
        vd = v.data
        lf = log_factorial(vd.sum(axis=-1)) - log_factorial(vd).sum(axis=-1)
        return log_powers + wrap_array(lf.astype(logits.data.dtype))

    def entropy(self) -> Tensor:
        """Exact: n H(Categorical) - log(n!) + sum_k E[log(x_k!)], x_k ~ Binomial(n, p_k)."""
        n = self.total_count
        probs = self.probs
        xp = xp_of(probs.data)
        dtype = probs.data.dtype
        term1 = self._categorical.entropy() * float(n) - float(log_factorial(xp.asarray(n)))
        if n < 2:  # log(0!) = log(1!) = 0: the sum has no terms
            return term1
        marginals = Binomial(n, probs=probs, validate_args=False)
        ks = xp.arange(2, n + 1, dtype=dtype).reshape((n - 1,) + (1,) * probs.ndim)
        weights = wrap_array(log_factorial(ks).astype(dtype))
        lp = marginals._log_prob(wrap_array(xp.broadcast_to(ks, (n - 1,) + tuple(probs.shape))),
                                 marginals.logits)
        return term1 + _sum(exp(lp) * weights, axis=(0, -1))
