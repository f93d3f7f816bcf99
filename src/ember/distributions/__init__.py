"""Probability distributions with ``torch.distributions``' names and semantics.

Each distribution has ``sample(sample_shape)`` (seeded by ``em.utils.set_random_seed``),
``log_prob(value)`` built from ember ops (so it is differentiable in the parameters),
``mean``, ``variance``, ``stddev``, ``mode``, ``entropy()``, ``batch_shape`` and
``event_shape``; ``Normal`` also has the reparameterized ``rsample``. Parameters broadcast
against each other and are checked at construction (``validate_args=False`` skips the checks).

Maximum likelihood in a few lines (fit a Gaussian to data by gradient descent):

    x = em.distributions.Normal(3.0, 2.0).sample((2000,))
    loc = em.tensor(0.0, requires_grad=True)
    log_scale = em.tensor(0.0, requires_grad=True)
    for _ in range(500):
        nll = -em.distributions.Normal(loc, log_scale.exp()).log_prob(x).mean()
        loc.grad = log_scale.grad = None
        nll.backward()
        with em.no_grad():
            loc.sub_(0.5 * loc.grad)
            log_scale.sub_(0.5 * log_scale.grad)
    # loc ~ x.mean(), exp(log_scale) ~ x.std()

Example:
    >>> import ember as em
    >>> d = em.distributions.Categorical(logits=em.zeros(2, 4))
    >>> d.batch_shape, d.event_shape, d.sample((5,)).shape
    ((2,), (), (5, 2))
"""

from ember.distributions.bernoulli import Bernoulli
from ember.distributions.binomial import Binomial
from ember.distributions.categorical import Categorical
from ember.distributions.chi2 import Chi2
from ember.distributions.distribution import Distribution
from ember.distributions.expectation import expectation
from ember.distributions.fisher_snedecor import FisherSnedecor
from ember.distributions.multinomial import Multinomial
from ember.distributions.normal import Normal
from ember.distributions.special import log_factorial
from ember.distributions.student_t import StudentT
from ember.distributions.uniform import Uniform

__all__ = [
    "Bernoulli", "Binomial", "Categorical", "Distribution", "Multinomial", "Normal",
    "expectation", "log_factorial",
    "Chi2", "FisherSnedecor", "StudentT", "Uniform",
]
