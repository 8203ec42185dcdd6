"""Issue 37 on the lent GPU: train the batch-1 cells at n = 16,384 and 32,768 with the pinned code
(src/ = worktree 1646742's), bring them back a few at a time (the device returns <= 64 MiB a call).

  python gpu.py start   WORK OUT [--device cuda] [--cells n:seed:draw,...] [--wait S]
  python gpu.py collect WORK OUT [--wait S]

start: rebuild the training sets from mnist.pt (digests checked against expect.json), spawn one
training process per cell in its own session (they outlive the call), then collect.
collect: wait until 3 finished cells are not yet returned (or --wait seconds, or every process
ended), copy up to 3 into OUT: each final.pt in two parts, the small files in one tar.
"""
import gzip, hashlib, json, os, shutil, subprocess, sys, tarfile, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PER_CALL = 3
PART = 10 << 20


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def flat(cell):
    return "n{n}_s{seed}_d{draw}".format(**cell)


def start(work, out, device, only, wait):
    t0 = time.time()
    sys.path.insert(0, str(HERE / "src"))
    from gengap.data.training_set import write_training_set
    from gengap.atomic import recorded_digest
    exp = json.loads((HERE / os.environ.get("EXPECT", "expect.json")).read_text())
    cells = [c for c in exp["cells"] if not only or flat(c["cell"]) in only]
    work.mkdir(parents=True, exist_ok=True)
    ds = work / "datasets" / "mnist.pt"
    ds.parent.mkdir(parents=True, exist_ok=True)
    if not ds.exists():
        with gzip.open(HERE / "mnist.pt.gz", "rb") as src, open(ds, "wb") as dst:
            shutil.copyfileobj(src, dst)
    d = sha(ds)
    assert d == exp["mnist"], f"mnist.pt digest {d} != {exp['mnist']}"
    (ds.parent / "mnist.pt.sha256").write_text(f"{d}  mnist.pt\n")
    for c in cells:
        k = c["cell"]
        ts = work / "training_sets" / "mnist/n{n}/replacement/seed{seed}/draw{draw}/true.pt".format(**k)
        if not ts.exists():
            write_training_set(ds, k["n"], k["seed"], "true", ts, draw=k["draw"], sampling="replacement")
        got = recorded_digest(ts)
        assert got == c["training_set"], f"{ts}: digest {got} != {c['training_set']}"
    print(f"data ready and verified in {time.time() - t0:.1f}s", flush=True)
    env = dict(os.environ, PYTHONPATH=str(HERE / "src"), OMP_NUM_THREADS="1")
    (work / "logs").mkdir(exist_ok=True)
    for c in cells:
        log = open(work / "logs" / (flat(c["cell"]) + ".out"), "w")
        subprocess.Popen([sys.executable, str(HERE / "gpu.py"), "train", str(work), json.dumps(c), device],
                         env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    (work / "started.json").write_text(json.dumps({"t": time.time(), "cells": [flat(c["cell"]) for c in cells]}))
    collect(work, out, wait)


def train(work, spec, device):
    import torch
    from gengap.cell import Cell
    from gengap.job import Job
    from gengap.settings import TrainingSettings
    from gengap.train.cell import CellFiles, train_cell
    torch.set_num_threads(1)
    c = json.loads(spec)
    exp = json.loads((HERE / os.environ.get("EXPECT", "expect.json")).read_text())
    cell = Cell(**c["cell"])
    name = flat(c["cell"])
    logf = open(work / "logs" / (name + ".log"), "a", buffering=1)

    def log(msg):
        logf.write(f"[{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC] {msg}\n")

    log(f"device run for issue 37: pinned code (src of 1646742), torch {torch.__version__}, "
        f"{torch.cuda.get_device_name(0) if device == 'cuda' else 'cpu'}")
    folder = work / "cells" / cell.path
    rec = train_cell(cell, TrainingSettings.from_mapping(exp["settings"]),
                     work / "training_sets" / (cell.training_set + ".pt"), CellFiles.in_folder(folder),
                     code=exp["code"], job=Job(log=log, device=torch.device(device), checkpoint_seconds=1e9,
                                               progress_seconds=30))
    problems = []
    if rec["identity"]["key"] != c["identity"]:
        problems.append(f"identity {rec['identity']['key']} != expected {c['identity']}")
    if rec["files"]["init"] != c["init"]:
        problems.append(f"init {rec['files']['init']} != expected {c['init']}")
    (work / "logs" / (name + ".done")).write_text(json.dumps({"problems": problems, "status": rec["status"]}))
    log("checks: " + ("; ".join(problems) or "identity and init as expected"))


def status_lines(work):
    lines = []
    for f in sorted((work / "logs").glob("*.log")):
        tail = f.read_text().strip().splitlines()[-1:] or ["(empty)"]
        lines.append(f"{f.stem}: {tail[0][-150:]}")
    for f in sorted((work / "logs").glob("*.out")):
        txt = f.read_text().strip()
        if txt:
            lines.append(f"{f.stem} stdout/stderr: {txt[-400:]}")
    return lines


def collect(work, out, wait):
    t0 = time.time()
    started = json.loads((work / "started.json").read_text())
    sent_file = work / "sent.json"
    sent = json.loads(sent_file.read_text()) if sent_file.exists() else []

    def ready():
        return [c for c in started["cells"] if (work / "logs" / (c + ".done")).exists() and c not in sent]

    def running():
        r = subprocess.run(["pgrep", "-f", "gpu.py train"], capture_output=True, text=True)
        return len(r.stdout.split())

    last = 0
    while len(ready()) < PER_CALL and time.time() - t0 < wait and running():
        time.sleep(5)
        if time.time() - last > 60:
            last = time.time()
            print(f"--- {time.time() - started['t']:.0f}s since start, {running()} training", flush=True)
            print("\n".join(status_lines(work)), flush=True)
    take = ready()[:PER_CALL]
    out.mkdir(parents=True, exist_ok=True)
    exp = json.loads((HERE / os.environ.get("EXPECT", "expect.json")).read_text())
    by_name = {flat(c["cell"]): c for c in exp["cells"]}
    k = len(sent)
    with tarfile.open(out / f"small{k:02d}.tar.gz", "w:gz") as tar:
        for name in take:
            from_folder = work / "cells" / "bounds_vs_batch/mnist/true/n{n}/replacement/seed{seed}/draw{draw}/mlp_5x1024_nobias/b1".format(**by_name[name]["cell"])
            for f in ["history.parquet", "history.parquet.sha256", "record.json", "record.json.sha256",
                      "final.pt.sha256", "init.pt.sha256"]:
                tar.add(from_folder / f, arcname=f"{name}/{f}")
            for f in [name + ".log", name + ".done", name + ".out"]:
                tar.add(work / "logs" / f, arcname=f"{name}/{f}")
            data = (from_folder / "final.pt").read_bytes()
            for i in range(0, len(data), PART):
                (out / f"{name}.final.part{i // PART}").write_bytes(data[i:i + PART])
        status = {"sent_now": take, "sent_before": sent, "elapsed_since_start_s": time.time() - started["t"],
                  "status": status_lines(work)}
        p = work / "status.json"
        p.write_text(json.dumps(status, indent=1))
        tar.add(p, arcname="status.json")
    sent_file.write_text(json.dumps(sent + take))
    print(f"=== returned {take}; before {sent}; {running()} still training; "
          f"{time.time() - started['t']:.0f}s since start", flush=True)
    print("\n".join(status_lines(work)), flush=True)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "train":
        sys.path.insert(0, str(HERE / "src"))
        train(Path(sys.argv[2]), sys.argv[3], sys.argv[4])
        sys.exit()
    args = sys.argv[2:]
    opts = {"--device": "cuda", "--cells": "", "--wait": "480", "--kill": ""}
    pos = []
    while args:
        a = args.pop(0)
        if a in opts:
            opts[a] = args.pop(0)
        else:
            pos.append(a)
    work, out = Path(pos[0]), Path(pos[1])
    if cmd == "start":
        start(work, out, opts["--device"], [c for c in opts["--cells"].split(",") if c], float(opts["--wait"]))
    else:
        for name in [c for c in opts["--kill"].split(",") if c]:  # give the GPU to the others
            subprocess.run(["pkill", "-f", f'"n": {name.split("_")[0][1:]}, "seed": {name.split("_")[1][1:]}, "draw": {name.split("_")[2][1:]}'])
        collect(work, out, float(opts["--wait"]))
