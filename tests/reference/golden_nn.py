#!/usr/bin/python3
"""Golden values for tests/test_nn_*.cpp, computed with PyTorch 1.13 and NumPy.

Run with the Python that has torch (`/usr/bin/python3 tests/reference/golden_nn.py`); paste the
printed arrays into the tests. CI never runs this script: the numbers are frozen in the tests.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_printoptions(precision=8)


def show(name, t):
    a = np.asarray(t.detach().numpy() if isinstance(t, torch.Tensor) else t, dtype=np.float64)
    flat = ", ".join(f"{v:.9g}f" for v in a.reshape(-1))
    print(f"// {name} {list(a.shape)}\n{{{flat}}}\n")


print("==== documents: the 4x3 NumPy-vs-PyTorch BatchNorm (np.random.seed(42)) ====")
np.random.seed(42)
x = np.random.randn(4, 3)
show("x (float64 input)", x)
bn = nn.BatchNorm1d(3)
bn.train()
show("pytorch train output", bn(torch.tensor(x, dtype=torch.float32)))

print("==== documents: the NumPy layer's backward, eps 1e-8 (np.random.seed(0)) ====")
np.random.seed(0)
X = np.random.randn(5, 3)
d_out = np.random.randn(5, 3)
show("X", X)
show("d_out", d_out)
xt = torch.tensor(X, dtype=torch.float32, requires_grad=True)
bn = nn.BatchNorm1d(3, eps=1e-8)
y = bn(xt)
y.backward(torch.tensor(d_out, dtype=torch.float32))
show("torch y", y)
show("torch dX", xt.grad)
show("torch dgamma", bn.weight.grad)
show("torch dbeta", bn.bias.grad)

print("==== BatchNorm1d momentum=None over two batches, affine=False, track_running_stats=False ====")
g = torch.Generator().manual_seed(7)
a = torch.randn(6, 4, generator=g)
b = torch.randn(5, 4, generator=g) * 2 + 1
show("a", a)
show("b", b)
bn = nn.BatchNorm1d(4, momentum=None)
bn(a)
bn(b)
show("cumulative running_mean", bn.running_mean)
show("cumulative running_var", bn.running_var)
bn = nn.BatchNorm1d(4, affine=False, track_running_stats=False)
bn.eval()
show("no running stats, eval output on b", bn(b))

print("==== BCEWithLogitsLoss and MSELoss ====")
x = torch.tensor([[-3.0, -0.5, 0.0], [0.5, 2.0, 40.0]], requires_grad=True)
t = torch.tensor([[0.0, 1.0, 0.5], [1.0, 0.0, 1.0]], requires_grad=True)
for red in ["mean", "sum", "none"]:
    show(f"bce {red}", F.binary_cross_entropy_with_logits(x, t, reduction=red))
l = F.binary_cross_entropy_with_logits(x, t)
l.backward()
show("bce mean dx", x.grad)
show("bce mean dtarget", t.grad)
x.grad = None
t.grad = None
for red in ["mean", "sum", "none"]:
    show(f"mse {red}", F.mse_loss(x, t, reduction=red))
F.mse_loss(x, t).backward()
show("mse mean dx", x.grad)
show("mse mean dtarget", t.grad)

print("==== CrossEntropyLoss: every row ignored ====")
x = torch.tensor([[1.0, 2.0], [0.0, 1.0]], requires_grad=True)
l = F.cross_entropy(x, torch.tensor([-100, -100]))
l.backward()
print("loss", l.item(), "grad", x.grad.tolist())
x = torch.tensor([[1.0, 2.0, 3.0], [1.0, 0.0, -1.0], [0.5, 0.5, 0.5]], requires_grad=True)
F.cross_entropy(x, torch.tensor([2, 0, 1]), ignore_index=1, label_smoothing=0.1,
                reduction="sum").backward()
show("ce sum, ignore 1, ls 0.1: grad", x.grad)

print("==== a small MyNN (6 -> 5 -> 4 -> 3), one training step's forward and backward ====")
torch.manual_seed(3)
model = nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Dropout(0.3),
                      nn.Linear(5, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Dropout(0.3),
                      nn.Linear(4, 3))
with torch.no_grad():  # non-trivial γ, β so that their gradients are tested too
    for i in (1, 5):
        model[i].weight.uniform_(0.5, 1.5)
        model[i].bias.uniform_(-0.5, 0.5)
for k, v in model.state_dict().items():
    if v.dtype == torch.float32:
        show(f"param network.{k}", v)
x = torch.randn(8, 6)
target = torch.tensor([0, 2, 1, 1, 0, 2, 2, 1])
show("x", x)
model.train()
model[3].eval()  # Dropout off: a mask cannot be matched across libraries
model[7].eval()
logits = model(x)
loss = F.cross_entropy(logits, target)
loss.backward()
show("train logits", logits)
print("train loss", f"{loss.item():.9g}\n")
for k, p in model.named_parameters():
    show(f"grad network.{k}", p.grad)
for i in (1, 5):
    show(f"network.{i}.running_mean", model[i].running_mean)
    show(f"network.{i}.running_var", model[i].running_var)
model.eval()
show("eval logits after the step's statistics", model(x))

print("==== L1Loss and HuberLoss ====")
x = torch.tensor([[-3.0, -0.5, 0.0], [0.5, 2.0, 40.0]], requires_grad=True)
t = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]], requires_grad=True)
for red in ["mean", "sum", "none"]:
    show(f"l1 {red}", F.l1_loss(x, t, reduction=red))
    show(f"huber {red}", F.huber_loss(x, t, reduction=red, delta=1.0))
F.l1_loss(x, t).backward()
show("l1 mean dx", x.grad)
x.grad = None
F.huber_loss(x, t, delta=1.5).backward()
show("huber(delta=1.5) mean dx", x.grad)
show("huber(delta=1.5) mean", F.huber_loss(x, t, delta=1.5))
