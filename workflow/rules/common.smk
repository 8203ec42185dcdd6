# Paths, wildcard constraints and per-job parameters, all derived from the validated config.

import re

import torch

from gengap.config import cells, measure_options, suites_of_kind, theory_cells, training_settings
from gengap.data.corruptions import corruption_digest
from gengap.data.sources import data_root
from gengap.models import model_digest
from gengap.provenance import stage_digest

R = config["results_dir"]
DEVICE = config["device"]
# Jobs that will train on a GPU declare it, so a profile can cap them (resources: gpu=N).
USES_GPU = int(DEVICE == "cuda" or (DEVICE == "auto" and torch.cuda.is_available()))

TRAIN_SUITE = "|".join(map(re.escape, suites_of_kind(config, "train"))) or "(?!)"
CELL_DIR = R + "/cells/{suite}/{dataset}/{corruption}/n{n}/seed{seed}/draw{draw}/{model}/{reg}"
TRAINING_SET = R + "/training_sets/{dataset}/n{n}/seed{seed}/draw{draw}/{corruption}.pt"
CELL_LOG = "{suite}/{dataset}/{corruption}/n{n}/seed{seed}/draw{draw}/{model}/{reg}"


wildcard_constraints:
    suite="|".join(map(re.escape, config["suites"])),  # only configured suites
    dataset="[A-Za-z0-9_]+",
    model="[A-Za-z0-9_]+",
    reg="[A-Za-z0-9_]+",
    table="[A-Za-z0-9_]+",
    corruption="[A-Za-z0-9_@.]+",
    n=r"\d+",
    seed=r"\d+",
    draw=r"\d+",
    figure="[A-Za-z0-9_]+",


def cell_files(suite, name):
    """One file of every cell of a suite."""
    return [expand(CELL_DIR + "/" + name, **c.key())[0] for c in cells(config, suite)]


def other_draw(wc):
    """The cell trained on the other draw (S2 for S1 and back), for suites with two draws."""
    if config["suites"][wc.suite]["draws"] < 2:
        return []
    other = dict(wc.items(), draw=2 if int(wc.draw) == 1 else 1)
    return expand(CELL_DIR + "/final.pt", **other)


def figure_files(suite):
    names = config["suites"][suite]["figures"]
    return expand(R + "/figures/{suite}/{name}.{ext}", suite=suite, name=names, ext=["png", "pdf"])


def all_outputs():
    out = []
    for suite in config["suites"]:
        out += [R + f"/summary/{suite}.parquet"] + figure_files(suite)
        if config["suites"][suite]["kind"] == "train":
            out.append(R + f"/summary/history/{suite}.parquet")
        out += expand(R + "/tables/{suite}/{table}.{ext}", suite=suite,
                      table=config["suites"][suite]["tables"], ext=["parquet", "md"])
        if config["suites"][suite]["slopes"]:
            out.append(R + f"/summary/{suite}_slopes.parquet")
    return out
