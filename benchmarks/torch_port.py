"""Port an ember Sequential's weights to the equivalent PyTorch module (for the Captum
comparisons: tests/test_explain_captum.py and benchmarks/bench_explain.py).

Dense -> Linear (kernel transposed); Conv2D's NHWC kernel (kh, kw, cin, cout) -> Conv2d's
(cout, cin, kh, kw); the torch module takes NCHW inputs and permutes back to NHWC before
Flatten, so the flattened features come in ember's order. Every ReLU becomes an ``nn.ReLU``
module (what Captum's GuidedBackprop overrides), applied after its layer.
"""

from __future__ import annotations

import numpy as np


def to_torch(model, torch):
    """A ``torch.nn.Sequential`` computing what the ember Sequential ``model`` computes, and a
    dict from ember layer name to the torch module whose output is that layer's output."""
    from ember import activations, layers

    nn = torch.nn

    class ToNHWC(nn.Module):
        def forward(self, x):
            return x.permute(0, 2, 3, 1)

    mods, by_name, nchw = [], {}, True
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            k = layer.kernel.data
            conv = nn.Conv2d(k.shape[2], k.shape[3], k.shape[:2], stride=layer.strides,
                             padding=0 if layer.padding == "valid" else "same")
            with torch.no_grad():
                conv.weight.copy_(torch.from_numpy(np.transpose(k, (3, 2, 0, 1)).copy()))
                conv.bias.copy_(torch.from_numpy(layer.bias.data.copy()))
            mods.append(conv)
        elif isinstance(layer, layers.MaxPooling2D):
            mods.append(nn.MaxPool2d(layer.pool_size, layer.strides))
        elif isinstance(layer, layers.Flatten):
            if nchw:
                mods.append(ToNHWC())
                nchw = False
            mods.append(nn.Flatten())
        elif isinstance(layer, layers.Dropout):
            mods.append(nn.Dropout(layer.rate))  # identity in eval mode, as ember's predict
        elif isinstance(layer, layers.Dense):
            k = layer.kernel.data
            lin = nn.Linear(k.shape[0], k.shape[1])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(k.T.copy()))
                lin.bias.copy_(torch.from_numpy(layer.bias.data.copy()))
            mods.append(lin)
        else:
            raise NotImplementedError(type(layer).__name__)
        act = getattr(layer, "activation", None)
        if act is activations.relu:
            mods.append(nn.ReLU())
        elif act is activations.tanh:
            mods.append(nn.Tanh())
        elif act is activations.sigmoid:
            mods.append(nn.Sigmoid())
        elif act is activations.softmax:
            mods.append(nn.Softmax(dim=1))
        elif act is not None and act is not activations.linear:
            raise NotImplementedError(f"activation {act.__name__}")
        by_name[layer.name] = mods[-1]
    return nn.Sequential(*mods).eval(), by_name


def nchw(x):
    return np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2)))


def nhwc(a):
    return np.ascontiguousarray(np.transpose(a, (0, 2, 3, 1)))
