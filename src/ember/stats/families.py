"""``scipy.stats``-style access to the distributions: ``norm.ppf(0.975)``, ``t.sf(2.1, df=9)``.

Each family takes the values first and SciPy's shape parameters after them, positionally or
by name (``norm(loc, scale)``, ``t(df, loc, scale)``, ``chi2(df)``, ``f(dfn, dfd)``,
``binom(n, p)``, ``uniform(loc, scale)`` on [loc, loc + scale]), works in float64 and returns
ember tensors. They are thin: each call builds the ``ember.distributions`` object (``Normal``,
``StudentT``, ``Chi2``, ``FisherSnedecor``, ``Binomial``, ``Uniform``) and asks it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ember.autograd.tensor import Tensor, as_tensor, wrap_array

_F64 = "float64"


def f64(value: Any) -> Tensor:
    """``value`` (a number, array or tensor) as a float64 tensor (statistics want float64)."""
    t = value if isinstance(value, Tensor) else as_tensor(np.asarray(value, dtype=_F64))
    if t.data.dtype != np.float64:
        from ember.ops import astype

        t = astype(t, _F64)
    return t


class Family:
    """One distribution family under its SciPy name, e.g. ``ember.stats.norm``."""

    def __init__(self, name: str, params: tuple[str, ...], defaults: dict[str, float],
                 build: Callable[..., Any], discrete: bool = False) -> None:
        self.name = name
        self._params = params
        self._defaults = defaults
        self._build = build
        self.discrete = discrete

    def __repr__(self) -> str:
        return f"ember.stats.{self.name}({', '.join(self._params)})"

    def _dist(self, args: tuple, kwargs: dict) -> Any:
        values = dict(self._defaults)
        if len(args) > len(self._params):
            raise TypeError(f"{self.name}: takes the parameters {', '.join(self._params)}; "
                            f"got {len(args)} positional values")
        values.update(zip(self._params, args))
        for key, v in kwargs.items():
            if key not in self._params:
                raise TypeError(f"{self.name}: unknown parameter {key!r}; expected one of "
                                f"{', '.join(self._params)}")
            values[key] = v
        missing = [p for p in self._params if p not in values]
        if missing:
            raise TypeError(f"{self.name}: missing the parameter {', '.join(missing)}")
        return self._build(*(f64(values[p]) for p in self._params))

    # densities and probabilities
    def pdf(self, x: Any, *args: Any, **kwargs: Any) -> Tensor:
        """The density at ``x`` (the mass, for ``binom``: also ``pmf``)."""
        return self._dist(args, kwargs).pdf(f64(x))

    def logpdf(self, x: Any, *args: Any, **kwargs: Any) -> Tensor:
        """log of the density at ``x``."""
        return self._dist(args, kwargs).log_prob(f64(x))

    pmf = pdf
    logpmf = logpdf

    def cdf(self, x: Any, *args: Any, **kwargs: Any) -> Tensor:
        """P(X <= x)."""
        return self._dist(args, kwargs).cdf(f64(x))

    def sf(self, x: Any, *args: Any, **kwargs: Any) -> Tensor:
        """P(X > x), the survival function: a one-sided p-value."""
        return self._dist(args, kwargs).sf(f64(x))

    def ppf(self, q: Any, *args: Any, **kwargs: Any) -> Tensor:
        """The quantile: the x with P(X <= x) = q (the inverse of ``cdf``)."""
        return self._dist(args, kwargs).icdf(f64(q))

    def isf(self, q: Any, *args: Any, **kwargs: Any) -> Tensor:
        """The inverse survival function: the x with P(X > x) = q (a critical value)."""
        return self.ppf(1 - f64(q), *args, **kwargs)

    def interval(self, confidence: float, *args: Any, **kwargs: Any) -> tuple[Tensor, Tensor]:
        """The central interval holding ``confidence`` of the probability (SciPy's name)."""
        if not 0 <= confidence <= 1:
            raise ValueError(f"{self.name}.interval: confidence must be in [0, 1]; got "
                             f"{confidence!r}")
        tail = (1 - confidence) / 2
        return self.ppf(tail, *args, **kwargs), self.ppf(1 - tail, *args, **kwargs)

    def mean(self, *args: Any, **kwargs: Any) -> Tensor:
        return self._dist(args, kwargs).mean

    def var(self, *args: Any, **kwargs: Any) -> Tensor:
        return self._dist(args, kwargs).variance

    def std(self, *args: Any, **kwargs: Any) -> Tensor:
        return self._dist(args, kwargs).stddev

    def rvs(self, *args: Any, size: Any = (), **kwargs: Any) -> Tensor:
        """Random draws of shape ``size`` (seeded by ``em.utils.set_random_seed``)."""
        d = self._dist(args, kwargs)
        shape = (size,) if isinstance(size, int) else tuple(size)
        if d.batch_shape:
            shape = shape[:len(shape) - len(d.batch_shape)]
        return d.sample(shape)


def _normal(loc: Tensor, scale: Tensor) -> Any:
    from ember.distributions import Normal

    return Normal(loc, scale)


def _t(df: Tensor, loc: Tensor, scale: Tensor) -> Any:
    from ember.distributions import StudentT

    return StudentT(df, loc, scale)


def _chi2(df: Tensor) -> Any:
    from ember.distributions import Chi2

    return Chi2(df)


def _f(dfn: Tensor, dfd: Tensor) -> Any:
    from ember.distributions import FisherSnedecor

    return FisherSnedecor(dfn, dfd)


def _uniform(loc: Tensor, scale: Tensor) -> Any:
    from ember.distributions import Uniform

    return Uniform(loc, loc + scale)


class _Binomial(Family):
    def _dist(self, args: tuple, kwargs: dict) -> Any:
        from ember.distributions import Binomial

        d = super()._dist(args, kwargs)
        return Binomial(d[0], probs=d[1], validate_args=False)

    def pdf(self, x: Any, *args: Any, **kwargs: Any) -> Tensor:
        """P(X = x): 0 off the whole numbers 0..n (SciPy's ``binom.pmf``)."""
        d = self._dist(args, kwargs)
        k = f64(x)
        n = d.total_count.data
        ok = (k.data >= 0) & (k.data <= n) & (np.floor(k.data) == k.data)
        from ember.ops import exp, where

        safe = wrap_array(np.where(ok, k.data, 0.0))
        return where(ok, exp(d.log_prob(safe)), 0.0)

    pmf = pdf

    def logpdf(self, x: Any, *args: Any, **kwargs: Any) -> Tensor:
        from ember.ops import log

        with np.errstate(divide="ignore"):
            return log(self.pdf(x, *args, **kwargs))

    logpmf = logpdf

    def ppf(self, q: Any, *args: Any, **kwargs: Any) -> Tensor:
        """The smallest k with P(X <= k) >= q (a bisection over the whole numbers)."""
        d = self._dist(args, kwargs)
        qs = np.asarray(f64(q).data)
        n = np.broadcast_to(d.total_count.data, np.broadcast_shapes(qs.shape, d.batch_shape))
        lo, hi = np.full(n.shape, -1.0), n.astype(_F64)  # cdf(lo) < q <= cdf(hi)
        while bool((hi - lo > 1).any()):
            mid = np.floor((lo + hi) / 2)
            below = d.cdf(wrap_array(mid)).data < qs * (1 - 1e-12)  # SciPy's tolerance on ties
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        out = np.where(qs == 0, -1.0, hi)
        return wrap_array(np.where((qs >= 0) & (qs <= 1), out, np.nan))


def _pair(n: Tensor, p: Tensor) -> tuple[Tensor, Tensor]:
    return n, p


norm = Family("norm", ("loc", "scale"), {"loc": 0.0, "scale": 1.0}, _normal)
t = Family("t", ("df", "loc", "scale"), {"loc": 0.0, "scale": 1.0}, _t)
chi2 = Family("chi2", ("df",), {}, _chi2)
f = Family("f", ("dfn", "dfd"), {}, _f)
uniform = Family("uniform", ("loc", "scale"), {"loc": 0.0, "scale": 1.0}, _uniform)
binom = _Binomial("binom", ("n", "p"), {}, _pair, discrete=True)
