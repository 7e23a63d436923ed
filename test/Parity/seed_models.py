#!/usr/bin/python3
"""Checks that models/*.json transcribe the seed networks exactly.

The seed documents' PyTorch classes are copied here as they are written
(only the training code is left out). For each, the JSON model is built with
torch_model.py; the two must have the same state_dict names and shapes, and,
with the JSON model's weights loaded into the seed class, the same output.
This needs torch, not netc: it proves the models/ files, so that the parity
tests against netc test the seed networks themselves.

    seed_models.py MODELS_DIR
"""
import os
import sys
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_model import build_model  # noqa: E402


class Net(torch.nn.Module):
    """001: the MNIST CNN."""

    def __init__(self,):
        super(Net, self).__init__()
        self.conv1 = torch.nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = torch.nn.Conv2d(10, 20, kernel_size=5)
        self.pooling = torch.nn.MaxPool2d(2)
        self.linear = torch.nn.Linear(320, 10)

    def forward(self, x):
        batch_size = x.size(0)
        x = F.relu(self.pooling(self.conv1(x)))
        x = F.relu(self.pooling(self.conv2(x)))
        x = x.view(batch_size, -1)
        x = self.linear(x)
        return x


class ImageNet(torch.nn.Module):
    """001: the 3-conv homework net."""

    def __init__(self,):
        super(ImageNet, self).__init__()
        self.conv1 = torch.nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = torch.nn.Conv2d(10, 20, kernel_size=3)
        self.conv3 = torch.nn.Conv2d(20, 30, kernel_size=2)
        self.pooling = torch.nn.MaxPool2d(2)
        self.linear = torch.nn.Linear(120, 10)

    def forward(self, x):
        batch_size = x.size(0)
        x = self.pooling(F.relu(self.conv1(x)))
        x = self.pooling(F.relu(self.conv2(x)))
        x = self.pooling(F.relu(self.conv3(x)))
        x = x.view(batch_size, -1)
        x = self.linear(x)
        return x


class InceptionModule(torch.nn.Module):
    """001: the GoogLeNet-style block (88 output channels)."""

    def __init__(self, in_channels):
        super(InceptionModule, self).__init__()
        self.branch1x1 = torch.nn.Conv2d(in_channels, 16, kernel_size=1)

        self.branch5x5_1 = torch.nn.Conv2d(in_channels, 16, kernel_size=1)
        self.branch5x5_2 = torch.nn.Conv2d(16, 24, kernel_size=5, padding=2)

        self.branch3x3_1 = torch.nn.Conv2d(in_channels, 16, kernel_size=1)
        self.branch3x3_2 = torch.nn.Conv2d(16, 24, kernel_size=3, padding=1)
        self.branch3x3_3 = torch.nn.Conv2d(24, 24, kernel_size=3, padding=1)

        self.branch_pool = torch.nn.Conv2d(in_channels, 24, kernel_size=1)

    def forward(self, x):
        branch1x1 = self.branch1x1(x)

        branch5x5 = self.branch5x5_1(x)
        branch5x5 = self.branch5x5_2(branch5x5)

        branch3x3 = self.branch3x3_1(x)
        branch3x3 = self.branch3x3_2(branch3x3)
        branch3x3 = self.branch3x3_3(branch3x3)

        branch_pool = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)
        branch_pool = self.branch_pool(branch_pool)

        outputs = [branch1x1, branch5x5, branch3x3, branch_pool]

        return torch.cat(outputs, dim=1)


class InceptionNet(torch.nn.Module):
    """001: the net using the Inception block (named Net in the seed)."""

    def __init__(self,):
        super(InceptionNet, self).__init__()
        self.conv1 = torch.nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = torch.nn.Conv2d(88, 20, kernel_size=5)

        self.incep1 = InceptionModule(in_channels=10)
        self.incep2 = InceptionModule(in_channels=20)

        self.pool = torch.nn.MaxPool2d(2)
        self.linear = torch.nn.Linear(1408, 10)

    def forward(self, x):
        in_size = x.size(0)
        x = F.relu(self.pool(self.conv1(x)))
        x = self.incep1(x)
        x = F.relu(self.pool(self.conv2(x)))
        x = self.incep2(x)
        x = x.view(in_size, -1)
        x = self.linear(x)

        return x


class ResidualBlock(torch.nn.Module):
    """001: relu(x + conv2(relu(conv1(x))))."""

    def __init__(self, channels):
        super(ResidualBlock, self).__init__()
        self.channels = channels
        self.conv1 = torch.nn.Conv2d(channels, channels, kernel_size=3,
                                     padding=1)
        self.conv2 = torch.nn.Conv2d(channels, channels, kernel_size=3,
                                     padding=1)

    def forward(self, x):
        y = F.relu(self.conv1(x))
        y = self.conv2(y)
        return F.relu(x + y)


class ResidualNet(torch.nn.Module):
    """001: the net using ResidualBlock (named Net in the seed)."""

    def __init__(self,):
        super(ResidualNet, self).__init__()
        self.conv1 = torch.nn.Conv2d(1, 16, kernel_size=5)
        self.conv2 = torch.nn.Conv2d(16, 32, kernel_size=5)
        self.mp = torch.nn.MaxPool2d(2)

        self.rblock1 = ResidualBlock(16)
        self.rblock2 = ResidualBlock(32)

        self.linear = torch.nn.Linear(512, 10)

    def forward(self, x):
        in_size = x.size(0)
        x = self.mp(F.relu(self.conv1(x)))
        x = self.rblock1(x)
        x = self.mp(F.relu(self.conv2(x)))
        x = self.rblock2(x)
        x = x.view(in_size, -1)
        x = self.linear(x)
        return x


def lenet():
    """003/004: d2l's LeNet."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


def edge_detect():
    """000: the learnable 1x2 edge detector, under the seed's variable name."""
    return nn.Sequential(OrderedDict(
        conv2d=nn.Conv2d(1, 1, kernel_size=(1, 2), bias=False)))


SEEDS = {
    "edge_detect": (edge_detect, (1, 1, 6, 8)),
    "mnist_cnn": (Net, (4, 1, 28, 28)),
    "homework_net": (ImageNet, (4, 1, 28, 28)),
    "inception": (InceptionNet, (4, 1, 28, 28)),
    "residual": (ResidualNet, (4, 1, 28, 28)),
    "lenet": (lenet, (4, 1, 28, 28)),
}


def shapes(module):
    """state_dict names -> shapes."""
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def check(models_dir, name, make_seed, x_shape):
    """Compares models/<name>.json with the seed class; prints the result."""
    built = build_model(os.path.join(models_dir, name + ".json"))
    seed = make_seed().eval()
    if shapes(built) != shapes(seed):
        print("%s: state_dict differs: json %s, seed %s FAIL"
              % (name, shapes(built), shapes(seed)))
        return False
    seed.load_state_dict(built.state_dict())
    x = torch.randn(x_shape)
    with torch.no_grad():
        err = (built(x) - seed(x)).abs().max().item()
    ok = err == 0.0
    print("%s: %d state_dict entries match the seed, output difference %g %s"
          % (name, len(shapes(seed)), err, "OK" if ok else "FAIL"))
    return ok


def main(argv):
    torch.manual_seed(0)
    models_dir = argv[0]
    results = [check(models_dir, name, *SEEDS[name]) for name in sorted(SEEDS)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
