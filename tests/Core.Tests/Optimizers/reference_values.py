#!/usr/bin/env python3
"""Independent oracle for the optimizer tests: plain float64 Python written from the pseudo-code in the
PyTorch torch.optim documentation (SGD, Adagrad, RMSprop, Adam, AdamW) and torch.nn.utils.clip_grad_norm_.
It shares nothing with the C# implementation; its printed values are pasted into the *Tests.cs files.
Run: python3 tests/Core.Tests/Optimizers/reference_values.py"""
import math

P0 = [1.0, -2.0, 0.5]
GRADS = [[0.5, -1.0, 4.0], [0.3, 0.4, 0.05], [-0.2, 0.6, -0.1]]


def sign(x):
    return (x > 0) - (x < 0)


def prepare(p, g, wd=0.0, l1=0.0, max_norm=None):
    """clip_grad_norm_ first (scale by max/(norm+1e-6) when < 1), then coupled L2 and this project's L1."""
    g = list(g)
    if max_norm is not None:
        norm = math.sqrt(sum(x * x for x in g))
        coef = max_norm / (norm + 1e-6)
        if coef < 1:
            g = [x * coef for x in g]
    return [gi + wd * pi + l1 * sign(pi) for gi, pi in zip(g, p)]


def sgd(lr, momentum=0.0, dampening=0.0, nesterov=False, wd=0.0, l1=0.0, max_norm=None):
    p, b, out = list(P0), [None] * 3, []
    for t, grad in enumerate(GRADS, 1):
        g = prepare(p, grad, wd, l1, max_norm)
        for i in range(3):
            gi = g[i]
            if momentum != 0:
                b[i] = gi if t == 1 else momentum * b[i] + (1 - dampening) * gi
                gi = gi + momentum * b[i] if nesterov else b[i]
            p[i] -= lr * gi
        out.append(list(p))
    return out


def adagrad(lr, initial=0.0, eps=1e-10):
    p, s, out = list(P0), [initial] * 3, []
    for grad in GRADS:
        for i in range(3):
            s[i] += grad[i] ** 2
            p[i] -= lr * grad[i] / (math.sqrt(s[i]) + eps)
        out.append(list(p))
    return out


def rmsprop(lr, alpha=0.99, eps=1e-8, momentum=0.0, centered=False):
    p, v, gavg, b, out = list(P0), [0.0] * 3, [0.0] * 3, [0.0] * 3, []
    for grad in GRADS:
        for i in range(3):
            g = grad[i]
            v[i] = alpha * v[i] + (1 - alpha) * g * g
            vt = v[i]
            if centered:
                gavg[i] = alpha * gavg[i] + (1 - alpha) * g
                vt = vt - gavg[i] ** 2
            denom = math.sqrt(vt) + eps
            if momentum > 0:
                b[i] = momentum * b[i] + g / denom
                p[i] -= lr * b[i]
            else:
                p[i] -= lr * g / denom
        out.append(list(p))
    return out


def adam(lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, amsgrad=False, decoupled=False):
    p, m, v, vmax, out = list(P0), [0.0] * 3, [0.0] * 3, [0.0] * 3, []
    for t, grad in enumerate(GRADS, 1):
        for i in range(3):
            g = grad[i]
            if decoupled:
                p[i] *= 1 - lr * wd
            else:
                g += wd * p[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            second = v[i]
            if amsgrad:
                vmax[i] = max(vmax[i], v[i])
                second = vmax[i]
            p[i] -= lr / (1 - b1 ** t) * m[i] / (math.sqrt(second) / math.sqrt(1 - b2 ** t) + eps)
        out.append(list(p))
    return out


CASES = {
    "sgd lr=0.1": sgd(0.1),
    "sgd lr=0.1 momentum=0.9 dampening=0.25": sgd(0.1, momentum=0.9, dampening=0.25),
    "sgd lr=0.1 momentum=0.9 nesterov": sgd(0.1, momentum=0.9, nesterov=True),
    "sgd lr=0.1 momentum=0.9 wd=0.1 l1=0.05": sgd(0.1, momentum=0.9, wd=0.1, l1=0.05),
    "sgd lr=0.1 momentum=0.9 wd=0.1 maxnorm=1": sgd(0.1, momentum=0.9, wd=0.1, max_norm=1.0),
    "adagrad lr=0.1": adagrad(0.1),
    "adagrad lr=0.1 initial=0.5": adagrad(0.1, initial=0.5),
    "rmsprop lr=0.01": rmsprop(0.01),
    "rmsprop lr=0.01 centered": rmsprop(0.01, centered=True),
    "rmsprop lr=0.01 momentum=0.9": rmsprop(0.01, momentum=0.9),
    "rmsprop lr=0.01 centered momentum=0.9": rmsprop(0.01, momentum=0.9, centered=True),
    "adam lr=0.1": adam(0.1),
    "adam lr=0.1 amsgrad": adam(0.1, amsgrad=True),
    "adam lr=0.1 wd=0.1 (coupled L2)": adam(0.1, wd=0.1),
    "adamw lr=0.1 wd=0.1": adam(0.1, wd=0.1, decoupled=True),
    "adamw lr=0.1 wd=0.1 amsgrad": adam(0.1, wd=0.1, decoupled=True, amsgrad=True),
}

if __name__ == "__main__":
    for name, steps in CASES.items():
        print(name)
        for t, p in enumerate(steps, 1):
            print(f"  step {t}: " + ", ".join(f"{x:.9g}" for x in p))
