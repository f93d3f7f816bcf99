"""Tensors and autodiff in a few lines: the chain rule, higher derivatives, a tiny fit."""

import ember as em

# The chain rule: d/dx sin(x^2) = cos(x^2) * 2x
x = em.tensor(2.0, requires_grad=True)
y = em.sin(x ** 2)
y.backward()
print(f"d/dx sin(x^2) at x=2: {x.grad.item():.6f}  (cos(4)*4 = -2.614574)")

# Higher-order derivatives: x^3 -> 3x^2 -> 6x -> 6
d1 = em.grad(lambda t: t ** 3)
d2 = em.grad(d1)
d3 = em.grad(d2)
t = em.tensor(2.0)
print(f"x^3 at 2: first {d1(t).item():.1f}, second {d2(t).item():.1f}, third {d3(t).item():.1f}")

# Gradient descent fits a line y = 3x - 1 through noisy points
em.utils.set_random_seed(0)
xs = em.randn(100, 1)
ys = 3 * xs - 1 + 0.1 * em.randn(100, 1)
w = em.zeros(1, 1, requires_grad=True)
b = em.zeros(1, requires_grad=True)
for _ in range(200):
    loss = ((xs @ w + b - ys) ** 2).mean()
    w.grad = b.grad = None
    loss.backward()
    with em.no_grad():  # the update itself must not be recorded
        w.sub_(0.1 * w.grad)
        b.sub_(0.1 * b.grad)
print(f"fitted y = {w.item():.3f} x + {b.item():.3f}  (loss {loss.item():.4f})")
