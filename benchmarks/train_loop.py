"""Training throughput: gengap's device-resident loop against a plain DataLoader loop.

Both train the same model with the same SGD settings for the same number of epochs on the same
data; the DataLoader loop keeps the data on the host and copies each batch to the device, as a
typical PyTorch script does. Prints examples per second for each and the ratio.

    python benchmarks/train_loop.py --device cpu --model mlp_1x512 --n 8192 --epochs 3
    python benchmarks/train_loop.py --device cuda --model mlp_3x512 --n 50000 --epochs 5
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from gengap.data.preprocess import to_inputs
from gengap.models import build_model
from gengap.settings import TrainingSettings
from gengap.train.loop import fit


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def dataloader_loop(net, x, y, epochs, batch_size, lr, device, workers):
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        num_workers=workers, pin_memory=device.type == "cuda")
    for _ in range(epochs):
        net.train()
        for xb, yb in loader:
            xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
            loss = F.cross_entropy(net(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss.item()  # a typical loop logs the loss every step


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--model", default="mlp_1x512")
    ap.add_argument("--n", type=int, default=8192)
    ap.add_argument("--shape", default="1,28,28")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--workers", type=int, default=0)
    args = ap.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    shape = tuple(int(s) for s in args.shape.split(","))
    g = torch.Generator().manual_seed(0)
    raw = torch.randint(0, 256, (args.n, *shape), generator=g, dtype=torch.uint8)
    y = torch.randint(10, (args.n,), generator=g)
    settings = TrainingSettings(batch_size=args.batch_size, lr_decay=0.95, max_epochs=args.epochs,
                                eval_every=args.epochs, stop={"criterion": "epochs"})
    results = {}
    for name in ("gengap", "dataloader", "gengap", "dataloader"):  # twice each: the spread is the noise
        torch.manual_seed(0)
        net = build_model(args.model, shape, 10).to(device)
        sync(device)
        t0 = time.perf_counter()
        if name == "gengap":
            xd = to_inputs(raw.to(device))  # the loop's data lives on the device
            fit(net, xd, y.to(device), settings, seed=0, log=lambda m: None)
        else:
            dataloader_loop(net, to_inputs(raw), y, args.epochs, args.batch_size, 0.01, device, args.workers)
        sync(device)
        results.setdefault(name, []).append(args.n * args.epochs / (time.perf_counter() - t0))
    print(f"device {device} ({torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'}), "
          f"model {args.model}, n {args.n}, {args.epochs} epochs, batch {args.batch_size}")
    for name, rates in results.items():
        print(f"  {name:10s} {max(rates):12,.0f} examples/s  (runs: {', '.join(f'{r:,.0f}' for r in rates)})")
    print(f"  speed-up   {max(results['gengap']) / max(results['dataloader']):.2f}x "
          f"(gengap includes one full-training-set evaluation)")


if __name__ == "__main__":
    main()
