#!/usr/bin/python3
# torch_reference.py: PyTorch autograd (float64) references for the zoo of
# case-defined networks in this folder (tests/networks/zoo/*.yaml).
#
# A DEVELOPMENT AID, like scripts/torch-reference: nothing at test time
# imports torch.  For every zoo network it runs
#     gradcheck run --format json NAME.yaml
# only to learn the point the case checks first (its `params`, some of them
# drawn from the case's seed, and its `inputs`, which are also checked here
# against the YAML file read independently), rebuilds the network in torch
# from the mathematics written in the case's comments -- with torch's own
# layers where one exists (layer_norm, huber_loss, gelu, softplus, conv2d,
# max_pool2d, embedding, binary_cross_entropy_with_logits, conv1d with
# stride and padding, cross_entropy, mse_loss), never by
# translating the formula-language text -- and writes the loss, the autograd
# gradient of every parameter block and, for logreg_hessian and
# mlp_hessian, the autograd Hessian blocks to torch_reference.json beside this script.
# tests/networks/zoo/compare.py (a meson test) compares gradcheck's loss,
# numeric gradient and the `right` derivation's analytic values with it.
#
# Regenerate from the repository root after building:
#     /usr/bin/python3 tests/networks/zoo/torch_reference.py [build/src/gradcheck]
# (Debian's python3-torch for /usr/bin/python3) and commit the JSON with it.
"""Write tests/networks/zoo/torch_reference.json from PyTorch autograd."""

import json
import math
import os
import subprocess
import sys

import torch
import torch.nn.functional as F
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
F64 = torch.float64


def t(v):
    return torch.tensor(v, dtype=F64)


# Each function takes the params (tensors with requires_grad) and inputs
# (tensors) by name and returns the loss.

def mlp_softmax_ce(p, i):
    a1 = torch.tanh(p["W1"] @ i["x"] + p["b1"])
    z2 = p["W2"] @ a1 + p["b2"]
    return -(i["y"] * F.log_softmax(z2, dim=0)).sum()


def mlp_logsoftmax_l2(p, i):
    a1 = torch.relu(p["W1"] @ i["x"] + p["b1"])
    z2 = p["W2"] @ a1 + p["b2"]
    ce = -(i["y"] * F.log_softmax(z2, dim=0)).sum()
    return ce + 0.5 * i["lam"] * ((p["W1"] ** 2).sum() + (p["W2"] ** 2).sum())


def mlp3_sigmoid_bce(p, i):
    a1 = torch.sigmoid(p["W1"] @ i["x"] + p["b1"])
    a2 = torch.sigmoid(p["W2"] @ a1 + p["b2"])
    z3 = p["w3"] @ a2 + p["b3"]
    return F.binary_cross_entropy(torch.sigmoid(z3), i["y"])


def residual_mlp(p, i):
    r1 = i["x"] + p["W1"] @ torch.relu(p["V1"] @ i["x"] + p["c1"])
    r2 = r1 + p["W2"] @ torch.relu(p["V2"] @ r1 + p["c2"])
    return 0.5 * ((r2 - i["y"]) ** 2).sum()


def layernorm(p, i):
    z = p["W"] @ i["x"]
    o = F.layer_norm(z, z.shape, weight=p["g"], bias=p["b"], eps=1e-5)
    return 0.5 * ((o - i["y"]) ** 2).sum()


def attention(p, i):
    X = i["X"]
    Q, K, V = X @ p["Wq"], X @ p["Wk"], X @ p["Wv"]
    A = torch.softmax(Q @ K.T / math.sqrt(K.shape[1]), dim=-1)
    return 0.5 * ((A @ V - i["Y"]) ** 2).sum()


def huber_regression(p, i):
    return F.huber_loss(p["W"] @ i["x"] + p["b"], i["y"], reduction="sum",
                        delta=1.0)


def softplus_gelu_mlp(p, i):
    a1 = F.softplus(p["W1"] @ i["x"])
    a2 = F.gelu(p["W2"] @ a1)            # exact: u Phi(u)
    o = p["W3"] @ a2
    return 0.5 * ((o - i["y"]) ** 2).sum()


def elman_softmax_bptt(p, i):
    h = torch.zeros(p["W"].shape[0], dtype=F64)
    loss = 0
    for x, y in zip(i["x"], i["y"]):
        h = torch.tanh(p["U"] @ x + p["W"] @ h + p["b"])
        loss = loss - (y * F.log_softmax(p["V"] @ h + p["c"], dim=0)).sum()
    return loss


def birnn(p, i):
    T, n = i["x"].shape[0], p["Wf"].shape[0]
    f, r = [None] * T, [None] * T
    h = torch.zeros(n, dtype=F64)
    for s in range(T):
        h = f[s] = torch.tanh(p["Uf"] @ i["x"][s] + p["Wf"] @ h)
    h = torch.zeros(n, dtype=F64)
    for s in reversed(range(T)):
        h = r[s] = torch.tanh(p["Ur"] @ i["x"][s] + p["Wr"] @ h)
    loss = 0
    for s in range(T):
        o = p["Vf"] @ f[s] + p["Vr"] @ r[s]
        loss = loss + 0.5 * ((o - i["y"][s]) ** 2).sum()
    return loss


def lstm_coupled(p, i):
    n = p["Uf"].shape[0]
    h = torch.zeros(n, dtype=F64)
    c = torch.zeros(n, dtype=F64)
    for x in i["x"]:
        f = torch.sigmoid(p["Wf"] @ x + p["Uf"] @ h + p["bf"])
        g = torch.tanh(p["Wg"] @ x + p["Ug"] @ h + p["bg"])
        o = torch.sigmoid(p["Wo"] @ x + p["Uo"] @ h + p["bo"])
        c = f * c + (1 - f) * g
        h = o * torch.tanh(c)
    e = p["V"] @ h - i["y"]
    return 0.5 * (e ** 2).sum()


def embedding_meanpool(p, i):
    idx = i["X"].argmax(dim=1)                 # the one-hot rows' tokens
    m = F.embedding(idx, p["E"]).mean(dim=0)
    z = p["w"] @ m + p["b"]
    return F.binary_cross_entropy_with_logits(z, i["y"])


def logreg_hessian(p, i):
    return F.binary_cross_entropy_with_logits(i["X"] @ p["w"], i["y"],
                                              reduction="sum")


def conv2d_maxpool(p, i):
    K = p["K"]                                 # [C, 3, 3]
    a = F.conv2d(i["x"][None, None], K[:, None], p["bc"])   # [1, C, 4, 4]
    P = F.max_pool2d(torch.relu(a), 2)         # [1, C, 2, 2]
    o = p["Wd"] @ P.reshape(-1)                # channel, row, column
    return 0.5 * ((o - i["y"]) ** 2).sum()


def conv2d_channels(p, i):
    a = F.conv2d(i["x"][None], p["K"], p["bc"])           # [1, Co, 4, 4]
    m = F.avg_pool2d(torch.relu(a), 2)                      # [1, Co, 2, 2]
    z = p["Wd"] @ m.reshape(-1) + p["bd"]
    return F.cross_entropy(z[None], i["y"][None])           # soft target


def batch_mlp(p, i):
    A1 = torch.tanh(i["X"] @ p["W1"] + p["b1"])            # broadcast rows
    Z2 = A1 @ p["W2"] + p["b2"]
    return F.cross_entropy(Z2, i["Y"])                      # mean over rows


def rnn2_stacked(p, i):
    n = p["W1"].shape[0]
    h1 = torch.zeros(n, dtype=F64)
    h2 = torch.zeros(n, dtype=F64)
    for x in i["x"]:
        h1 = torch.tanh(p["U1"] @ x + p["W1"] @ h1)
        h2 = torch.tanh(p["U2"] @ h1 + p["W2"] @ h2)
    e = p["V"] @ h2 - i["y"]
    return 0.5 * (e ** 2).sum()


def tied_autoencoder(p, i):
    h = torch.sigmoid(p["W"] @ i["x"] + p["b"])
    r = p["W"].T @ h + p["c"]
    return 0.5 * ((r - i["x"]) ** 2).sum()


def batchnorm(p, i):
    Z = i["X"] @ p["W"]
    Yo = F.batch_norm(Z, None, None, weight=p["gamma"], bias=p["beta"],
                      training=True, eps=1e-5)
    return 0.5 * ((Yo - i["Yt"]) ** 2).sum()


def gru_paper(p, i):
    h = torch.zeros(p["Uz"].shape[0], dtype=F64)
    for x in i["x"]:
        z = torch.sigmoid(p["Wz"] @ x + p["Uz"] @ h)
        r = torch.sigmoid(p["Wr"] @ x + p["Ur"] @ h)
        hh = torch.tanh(p["Wh"] @ x + p["Uh"] @ (r * h))
        h = (1 - z) * h + z * hh
    return 0.5 * ((h - i["y"]) ** 2).sum()


# The second zoo (a newcomer's networks, written from the README and the
# docs it links): the same pattern.

def cnn1d_stride(p, i):
    # conv1d with stride 2 and zero padding 1: output length
    # (8 + 2 - 3) / 2 + 1 = 4
    a = F.conv1d(i["x"][None, None], p["w"][None, None], p["b"][None],
                 stride=2, padding=1)[0, 0]
    z = p["v"] @ torch.relu(a) + p["c"]
    return 0.5 * (z - i["y"]) ** 2


def rnn_many_to_one(p, i):
    h = torch.zeros(p["W"].shape[0], dtype=F64)
    for x in i["x"]:
        h = torch.tanh(p["U"] @ x + p["W"] @ h + p["b"])
    z = p["V"] @ h + p["c"]
    return F.cross_entropy(z[None], i["y"].argmax()[None])


def rnn_seq_mse(p, i):
    h = torch.zeros(p["W"].shape[0], dtype=F64)
    loss = 0
    for x, y in zip(i["x"], i["y"]):
        h = torch.tanh(p["U"] @ x + p["W"] @ h)
        loss = loss + F.mse_loss(p["V"] @ h + p["c"], y, reduction="sum") / 2
    return loss


def highway(p, i):
    x = i["x"]
    g = torch.sigmoid(p["Wg"] @ x + p["bg"])
    u = torch.tanh(p["Wh"] @ x + p["bh"])
    o = p["V"] @ (g * u + (1 - g) * x)
    return 0.5 * ((o - i["t"]) ** 2).sum()


def maxout(p, i):
    z = p["W"] @ i["x"] + p["b"]               # [K, n1]: piece, unit
    h = z.max(dim=0).values
    s = p["v"] @ h + p["c"]
    return F.binary_cross_entropy_with_logits(s, i["y"])


def dropout_mask(p, i):
    h = torch.relu(p["W1"] @ i["x"] + p["b1"]) * i["m"] / (1 - i["q"])
    o = p["W2"] @ h + p["b2"]
    return 0.5 * ((o - i["y"]) ** 2).sum()


def rational_regression(p, i):
    x = i["x"]
    powers = torch.stack([x ** k for k in range(p["a"].shape[0])])
    f = (p["a"] @ powers) / (1 + p["b"] * x ** 2)
    return F.mse_loss(f, i["y"])


def softmax_regression_batch(p, i):
    Z = i["X"] @ p["W"] + p["b"]
    return F.cross_entropy(Z, i["Y"].argmax(dim=1))


def siamese_contrastive(p, i):
    f = torch.tanh(p["W"] @ i["x1"] + p["b"])
    g = torch.tanh(p["W"] @ i["x2"] + p["b"])
    D = ((f - g) ** 2).sum()
    s = i["s"]
    return s * D + (1 - s) * torch.clamp(i["mg"] - D, min=0)


def mlp_jacobian_claim(p, i):
    s1 = p["W1"] @ i["x"] + p["b1"]
    s2 = p["W2"] @ (s1 + 0.1 * s1 ** 3)
    return 0.5 * ((s2 - i["y"]) ** 2).sum()


def adversarial_input(p, i):
    h = torch.relu(i["W1"] @ p["x"] + i["b1"])
    z = i["W2"] @ h + i["b2"]
    return F.cross_entropy(z[None], i["y"].argmax()[None])


def mlp_hessian(p, i):
    a = torch.tanh(p["W1"] @ i["x"] + p["b1"])
    return 0.5 * ((p["W2"] @ a - i["y"]) ** 2).sum()


def bias_units(p, i):
    one = torch.ones(1, dtype=F64)
    x1 = torch.sigmoid(p["W1"].T @ torch.cat([one, i["x"]]))
    x2 = p["W2"].T @ torch.cat([one, x1])
    return ((x2 - i["y"]) ** 2).sum()


NETWORKS = [mlp_softmax_ce, mlp_logsoftmax_l2, mlp3_sigmoid_bce,
            residual_mlp, layernorm, attention, huber_regression,
            softplus_gelu_mlp, elman_softmax_bptt, birnn, lstm_coupled,
            embedding_meanpool, logreg_hessian, conv2d_maxpool,
            conv2d_channels, batch_mlp, rnn2_stacked, tied_autoencoder,
            batchnorm, gru_paper,
            cnn1d_stride, rnn_many_to_one, rnn_seq_mse, highway, maxout,
            dropout_mask,
            rational_regression, softmax_regression_batch,
            siamese_contrastive, mlp_jacobian_claim, adversarial_input,
            mlp_hessian, bias_units]
# the Hessian blocks (of, wrt) checked against torch's, both of one block
HESSIANS = {"logreg_hessian": [("w", "w")],
            "mlp_hessian": [("W2", "W2"), ("b1", "b1")]}


def as_float(v):
    if isinstance(v, list):
        return [as_float(u) for u in v]
    return float(v)


def main():
    gc = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build",
                                                            "src", "gradcheck")
    out = {"generator": "tests/networks/zoo/torch_reference.py",
           "torch_version": torch.__version__, "networks": {}}
    for fn in NETWORKS:
        name = fn.__name__
        path = os.path.join(HERE, name + ".yaml")
        rep = json.loads(subprocess.run(
            [gc, "run", "--format", "json", path], capture_output=True,
            check=False, text=True).stdout)
        case = rep["cases"][0]
        with open(path) as f:
            written = yaml.safe_load(f)["inputs"]
        for k, v in written.items():
            if as_float(v) != case["inputs"][k]:
                sys.exit("%s: input %s differs from the YAML file" % (name, k))
        params = {k: t(v).requires_grad_(True)
                  for k, v in case["params"].items()}
        inputs = {k: t(v) for k, v in case["inputs"].items()}
        loss = fn(params, inputs)
        grads = torch.autograd.grad(loss, list(params.values()))
        entry = {"params": case["params"], "loss": loss.item(),
                 "gradient": {k: g.tolist()
                              for k, g in zip(params, grads)}}
        for b, _ in HESSIANS.get(name, []):
            def of_block(v, b=b):
                q = dict(params)
                q[b] = v
                return fn(q, inputs)
            H = torch.autograd.functional.hessian(of_block,
                                                  params[b].detach())
            entry.setdefault("hessians", []).append(
                {"of": b, "wrt": b,
                 "value": H.reshape(params[b].numel(), -1).tolist()})
        out["networks"][name] = entry
        print("%-20s loss %.17g" % (name, loss.item()))
    with open(os.path.join(HERE, "torch_reference.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
