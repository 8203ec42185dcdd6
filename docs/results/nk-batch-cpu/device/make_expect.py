"""Locally: what the device must reproduce (digests of data, identities of cells)."""
import json, sys, torch
from pathlib import Path
from gengap.cell import Cell
from gengap.settings import TrainingSettings
from gengap.atomic import recorded_digest, load_torch
R = Path("/work/runs/nkbatch-results")
ref = json.loads((R / "cells/bounds_vs_batch/mnist/true/n8192/replacement/seed0/draw1/mlp_5x1024_nobias/b1/record.json").read_text())
settings = TrainingSettings.from_mapping(ref["settings"])
code = ref["identity"]["code"]
cells = []
for n in [int(a) for a in sys.argv[1].split(",")]:
    for seed in (0, 1, 2):
        for draw in (1, 2):
            c = Cell(suite="bounds_vs_batch", dataset="mnist", corruption="true", n=n, seed=seed, draw=draw,
                     model="mlp_5x1024_nobias", reg="b1", sampling="replacement")
            ts = recorded_digest(R / "training_sets" / (c.training_set + ".pt"))
            # the init every n shares: from the n=8192 cell of this seed and draw
            init = json.loads((R / "cells" / Cell(**{**c.key(), "n": 8192}).path / "record.json").read_text())["files"]["init"]
            cells.append({"cell": c.key(), "training_set": ts, "identity": c.identity(settings, ts, code), "init": init})
ck = R / "cells/bounds_vs_batch/mnist/true/n16384/replacement/seed2/draw2/mlp_5x1024_nobias/b1/checkpoint.pt"
if ck.exists():
    from gengap.atomic import load_torch_sealed; key = load_torch_sealed(ck)["key"]
    mine = [x["identity"] for x in cells if x["cell"]["n"] == 16384 and x["cell"]["seed"] == 2 and x["cell"]["draw"] == 2]
    print("checkpoint key", key, "computed", mine)
json.dump({"mnist": recorded_digest(R / "datasets/mnist.pt"), "settings": ref["settings"], "code": code,
           "cells": cells}, open("expect.json", "w"), indent=1)
print(len(cells), "cells")
