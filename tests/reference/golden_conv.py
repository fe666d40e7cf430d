#!/usr/bin/python3
"""Golden values for tests/test_ops_conv.cpp, tests/test_ops_pool.cpp, tests/test_nn_conv.cpp and
the BatchNorm2d cases of tests/test_nn_batchnorm.cpp, computed with PyTorch 1.13.

Run with the Python that has torch (`/usr/bin/python3 tests/reference/golden_conv.py`); paste the
printed arrays into the tests. CI never runs this script: the numbers are frozen in the tests.
Inputs are patterns the C++ tests rebuild exactly (pattern(), below), so only outputs are pasted.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def pattern(shape, mul, add, mod, scale):
    """Element k is float32(((k·mul + add) mod `mod` - mod//2) / scale), as the tests' pattern()."""
    n = int(np.prod(shape))
    k = np.arange(n, dtype=np.int64)
    v = ((k * mul + add) % mod - mod // 2) / scale
    return torch.tensor(v.astype(np.float32).reshape(shape))


def show(name, t):
    a = np.asarray(t.detach().numpy() if isinstance(t, torch.Tensor) else t, dtype=np.float64)
    flat = ", ".join(f"{v:.9g}f" for v in a.reshape(-1))
    print(f"// {name} {list(a.shape)}\n{{{flat}}}\n")


def conv_case(title, xs, ws, bias, **args):
    print(f"==== conv2d {title}: x {xs}, weight {ws}, bias {bias}, {args} ====")
    x = pattern(xs, 7, 3, 19, 8.0).requires_grad_()
    w = pattern(ws, 5, 1, 13, 16.0).requires_grad_()
    b = pattern([ws[0]], 3, 2, 7, 4.0).requires_grad_() if bias else None
    y = F.conv2d(x, w, b, **args)
    dy = pattern(list(y.shape), 3, 1, 11, 4.0)
    y.backward(dy)
    show("y", y)
    show("dx", x.grad)
    show("dw", w.grad)
    if bias:
        show("db", b.grad)


conv_case("A (padding 1)", [1, 2, 5, 4], [3, 2, 3, 3], True, padding=1)
conv_case("B (stride, padding, dilation, groups)", [1, 4, 5, 5], [4, 2, 3, 2], False,
          stride=(2, 1), padding=(1, 0), dilation=(2, 2), groups=2)

print("==== max_pool2d: ties, a -inf plane and a NaN ====")
x = pattern([1, 2, 5, 6], 5, 0, 4, 1.0)  # values -2..1 repeating: many ties
x[0, 1, :, :] = float("-inf")
x[0, 1, 2, 3] = float("nan")
x.requires_grad_()
y = F.max_pool2d(x, 3, stride=2, padding=1)
dy = pattern(list(y.shape), 3, 1, 11, 4.0)
y.backward(dy)
show("y", y)
show("dx", x.grad)

print("==== max_pool2d (2, 3), stride (1, 2), no padding, distinct values ====")
x = pattern([2, 1, 4, 7], 7, 3, 29, 8.0).requires_grad_()
y = F.max_pool2d(x, (2, 3), stride=(1, 2))
y.backward(pattern(list(y.shape), 3, 1, 11, 4.0))
show("y", y)
show("dx", x.grad)

print("==== avg_pool2d (3, 2), stride (2, 1), padding (1, 1) ====")
x = pattern([1, 2, 5, 4], 7, 3, 19, 8.0).requires_grad_()
y = F.avg_pool2d(x, (3, 2), stride=(2, 1), padding=(1, 1))
y.backward(pattern(list(y.shape), 3, 1, 11, 4.0))
show("y", y)
show("dx", x.grad)

print("==== adaptive_avg_pool2d to (3, 2) on 5x7, and to 1 ====")
x = pattern([1, 2, 5, 7], 7, 3, 19, 8.0).requires_grad_()
y = F.adaptive_avg_pool2d(x, (3, 2))
y.backward(pattern(list(y.shape), 3, 1, 11, 4.0))
show("y", y)
show("dx", x.grad)
show("to 1", F.adaptive_avg_pool2d(x, 1))

print("==== BatchNorm2d(3): three training steps, then eval ====")
bn = nn.BatchNorm2d(3)
with torch.no_grad():
    bn.weight.copy_(torch.tensor([1.5, -0.5, 2.0]))
    bn.bias.copy_(torch.tensor([0.25, 0.0, -1.0]))
for step in range(3):
    x = pattern([2, 3, 3, 2], 7 + 2 * step, 3 + step, 19, 4.0 - step)
    y = bn(x)
x = pattern([2, 3, 3, 2], 7 + 4, 3 + 2, 19, 2.0).requires_grad_()  # the last step's input
show("last step's y", y)
bn2 = nn.BatchNorm2d(3)
with torch.no_grad():
    bn2.weight.copy_(bn.weight)
    bn2.bias.copy_(bn.bias)
y = bn2(x)
y.backward(pattern(list(y.shape), 3, 1, 11, 4.0))
show("one step: dx", x.grad)
show("one step: dweight", bn2.weight.grad)
show("one step: dbias", bn2.bias.grad)
show("running_mean after 3 steps", bn.running_mean)
show("running_var after 3 steps", bn.running_var)
bn.eval()
show("eval on the first input", bn(pattern([2, 3, 3, 2], 7, 3, 19, 4.0)))

print("==== BatchNorm2d momentum 0.9 (the documents' layer's default) against 0.1, one step ====")
x = pattern([2, 2, 2, 2], 7, 3, 19, 2.0)
for m in (0.1, 0.9):
    bn = nn.BatchNorm2d(2, momentum=m)
    bn(x)
    show(f"momentum {m}: running_mean", bn.running_mean)
    show(f"momentum {m}: running_var", bn.running_var)

print("==== Conv2d(2, 3, 3) init: bound 1/sqrt(18); repr ====")
print(nn.Conv2d(1, 32, 3, padding=1))
print(nn.Conv2d(4, 8, (3, 2), stride=2, dilation=(1, 2), groups=2, bias=False))
print(nn.MaxPool2d(2), nn.AvgPool2d((3, 2), stride=1, padding=1), nn.AdaptiveAvgPool2d(1), nn.Flatten())
print(nn.BatchNorm2d(64))
