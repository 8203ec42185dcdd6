"""Place the six n=16,384 batch-1 cells trained on the H200 into the nkbatch results, every digest checked."""
import hashlib, json, shutil
from pathlib import Path
G = Path("/work/runs/gpu37"); R = Path("/work/runs/nkbatch-results")
PATH = "bounds_vs_batch/mnist/true/n{n}/replacement/seed{seed}/draw{draw}/mlp_5x1024_nobias/b1"
exp = {"n{n}_s{seed}_d{draw}".format(**c["cell"]): c for c in json.loads(Path("/work/main/gpu37/expect.json").read_text())["cells"]}
sha = lambda p: hashlib.sha256(Path(p).read_bytes()).hexdigest()
src = {"n16384_s0_d1": ("2", "x2/n16384_s0_d1"), "n16384_s0_d2": ("2", "x2/n16384_s0_d2"), "n16384_s2_d1": ("2", "x2/n16384_s2_d1"),
       "n16384_s2_d2": ("4", "x4/cells/" + PATH.format(n=16384, seed=2, draw=2)),
       "n16384_s1_d1": ("5", "x5/cells/" + PATH.format(n=16384, seed=1, draw=1)),
       "n16384_s1_d2": ("5", "x5/cells/" + PATH.format(n=16384, seed=1, draw=2))}
for name, (call, small) in src.items():
    c = exp[name]; small = G / small
    final = G / f"{name}.final.pt"
    final.write_bytes(b"".join(p.read_bytes() for p in sorted((G / call).glob(f"{name}.final.part*"))))
    rec = json.loads((small / "record.json").read_text())
    init = G / f"init_s{c['cell']['seed']}.pt"
    assert sha(final) == (small / "final.pt.sha256").read_text().split()[0] == rec["files"]["final"], name
    assert sha(init) == (small / "init.pt.sha256").read_text().split()[0] == rec["files"]["init"], name
    assert rec["identity"]["key"] == c["identity"] and rec["identity"]["training_set"] == c["training_set"], name
    for f in ("history.parquet", "record.json"):
        assert sha(small / f) == (small / f"{f}.sha256").read_text().split()[0], (name, f)
    assert rec["status"] == "fitted" and rec["device"] == "cuda", name
    dest = R / "cells" / PATH.format(**c["cell"])
    assert not (dest / "final.pt").exists() or sha(dest / "final.pt") == sha(final), dest
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "checkpoint.pt").unlink(missing_ok=True)  # a stopped CPU attempt of the same identity
    shutil.copy(init, dest / "init.pt"); shutil.copy(small / "init.pt.sha256", dest / "init.pt.sha256")
    shutil.copy(final, dest / "final.pt"); shutil.copy(small / "final.pt.sha256", dest / "final.pt.sha256")
    for f in ("history.parquet", "history.parquet.sha256", "record.json", "record.json.sha256"):
        shutil.copy(small / f, dest / f)
    log = R / "logs/train" / (PATH.format(**c["cell"]) + ".log")
    devlog = next(p for p in G.glob(f"x*/**/{name}.log"))
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as f:
        f.write(f"--- trained on the lent device machine ({rec['device_name']}, torch {rec['versions']['torch']}) by the "
                f"pinned code (1646742's src), outside Snakemake: issue 37, /work/main/gpu37/gpu.py; its log:\n")
        f.write(devlog.read_text())
    print(f"{name}: {rec['epochs']} epochs, {rec['steps']} steps, {rec['wall_time_s']:.0f} s, final {rec['final']}")
