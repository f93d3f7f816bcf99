"""PyTorch state_dicts of torchvision's VGG16 and ResNet-18 into ember models, same outputs.

torchvision cannot be installed beside the torch here, so the two architectures are written
out below in plain torch with torchvision's exact module structure, hence its exact
state_dict key names and registration order (torchvision/models/vgg.py: ``features``,
``avgpool``, ``classifier``; torchvision/models/resnet.py: ``conv1``, ``bn1``, ``layer1`` ..
``layer4`` of BasicBlocks with ``conv1``, ``bn1``, ``conv2``, ``bn2``, ``downsample``, then
``fc``). Weights are random (BatchNorm statistics too); ember's models are built to match
(PyTorch's symmetric padding as ZeroPadding2D + "valid", BatchNorm epsilon 1e-5).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import ember as em  # noqa: E402
from ember.interop.torch_state_dict import _weighted_layers  # noqa: E402

L = em.layers


# ------------------------------------------------------------------ torchvision's structure
class TorchVGG16(nn.Module):
    """torchvision.models.vgg16 (configuration "D", no batch norm)."""

    CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
           512, 512, 512, "M"]

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        layers, cin = [], 3
        for v in self.CFG:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(cin, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                cin = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=0.5),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=0.5),
            nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class TorchResNet18(nn.Module):
    """torchvision.models.resnet18: BasicBlock, layers [2, 2, 2, 2]."""

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, 2)
        self.layer2 = self._make_layer(128, 2, stride=2)
        self.layer3 = self._make_layer(256, 2, stride=2)
        self.layer4 = self._make_layer(512, 2, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _randomize_batchnorm(module, seed=0):
    g = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5, generator=g)
                m.bias.uniform_(-0.2, 0.2, generator=g)
                m.running_mean.uniform_(-0.2, 0.2, generator=g)
                m.running_var.uniform_(0.5, 1.5, generator=g)


# ------------------------------------------------------------------ ember's matching models
def ember_resnet18(input_shape, classes=1000):
    """ResNet-18 in ember, each weighted layer named after its torchvision module."""
    def conv(x, filters, k, stride, name):
        pad = (k - 1) // 2  # PyTorch pads both sides alike; "same" would pad unevenly
        if pad:
            x = L.ZeroPadding2D(pad)(x)
        return L.Conv2D(filters, k, strides=stride, use_bias=False, name=name)(x)

    def bn(x, name):
        return L.BatchNormalization(epsilon=1e-5, name=name)(x)

    inp = em.Input(input_shape)
    x = L.Activation("relu")(bn(conv(inp, 64, 7, 2, "conv1"), "bn1"))
    x = L.MaxPooling2D(3, strides=2)(L.ZeroPadding2D(1)(x))  # after a ReLU: 0 pads as -inf
    cin = 64
    for stage, planes in enumerate((64, 128, 256, 512), 1):
        for block in range(2):
            stride = 2 if stage > 1 and block == 0 else 1
            p = f"layer{stage}.{block}."
            out = L.Activation("relu")(bn(conv(x, planes, 3, stride, p + "conv1"), p + "bn1"))
            out = bn(conv(out, planes, 3, 1, p + "conv2"), p + "bn2")
            shortcut = x
            if stride != 1 or cin != planes:
                shortcut = bn(conv(x, planes, 1, stride, p + "downsample.0"),
                              p + "downsample.1")
            x = L.Activation("relu")(L.Add()([out, shortcut]))
            cin = planes
    x = L.GlobalAveragePooling2D()(x)
    return em.Model(inp, L.Dense(classes, name="fc")(x))


def _compare(torch_model, ember_model, x_nhwc, order=None, tol=2e-4):
    torch_model.eval()
    report = em.interop.load_torch_state_dict(ember_model, torch_model.state_dict(),
                                              order=order)
    assert not report.missing and not report.unused
    with torch.no_grad():
        want = torch_model(torch.from_numpy(x_nhwc.transpose(0, 3, 1, 2).copy())).numpy()
    got = ember_model.predict(x_nhwc, verbose=0)
    assert got.shape == want.shape and got.dtype == np.float32
    scale = np.abs(want).max()
    assert np.abs(got - want).max() <= tol * max(scale, 1.0), (np.abs(got - want).max(), scale)
    return report


def test_torchvision_resnet18_state_dict():
    torch.manual_seed(0)
    net = TorchResNet18(num_classes=10)
    _randomize_batchnorm(net)
    model = ember_resnet18((64, 64, 3), classes=10)
    # ember runs the shortcut beside the main path (Keras' layer order); torchvision registers
    # a block's downsample after conv2/bn2: pair the modules by name through `order`
    order = [layer.name for layer, _ in _weighted_layers(model)]
    assert sorted(order) == sorted({k.rpartition(".")[0] for k in net.state_dict()})
    x = np.random.default_rng(0).standard_normal((2, 64, 64, 3)).astype("float32")
    report = _compare(net, model, x, order=order)
    assert ("layer2.0.downsample.0.weight", "layer2.0.downsample.0/kernel") == \
        report.assigned[[a[0] for a in report.assigned].index(
            "layer2.0.downsample.0.weight")][:2]
    assert "layer1.0.bn1.num_batches_tracked" in report.ignored


def test_torchvision_vgg16_state_dict():
    torch.manual_seed(0)
    net = TorchVGG16(num_classes=1000)
    with torch.no_grad():  # keep the activations O(1) through 16 random layers
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                m.bias.uniform_(-0.1, 0.1)
    model = em.applications.VGG16(weights=None, classifier_activation=None)
    x = np.random.default_rng(1).standard_normal((1, 224, 224, 3)).astype("float32")
    report = _compare(net, model, x)
    # the first Dense after Flatten got its rows permuted from (C, H, W) to (H, W, C)
    how = dict((k, h) for k, _, h in report.assigned)
    assert "permuted" in how["classifier.0.weight"] or "flatten" in \
        how["classifier.0.weight"].lower(), how["classifier.0.weight"]
    assert [a[0] for a in report.assigned][-2:] == ["classifier.6.weight", "classifier.6.bias"]
