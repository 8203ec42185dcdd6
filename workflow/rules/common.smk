# Paths, wildcard constraints and per-job parameters, all derived from the validated config.
# A cell's key, folder and training set come from gengap.cell.Cell; what a suite outputs and
# how its cells run come from its kind (gengap.suites.KINDS).

import functools
import os
import sys

from snakemake.logging import logger

import torch

import gengap.runlock as runlock
from gengap.atomic import set_aside_warning
from gengap.cell import Cell
from gengap.cluster import check_slurm_executor
from gengap.config import kind_of
from gengap.plan import suite_plan
from gengap.data.corruptions import CORRUPTIONS, parse_corruption
from gengap.data.identity import data_identity
from gengap.data.sources import DATASETS, data_root
from gengap.gpus import gpu_request
from gengap.measures import MEASURES
from gengap.models import MODELS
from gengap.provenance import code_digest, code_trigger_warning
from gengap.report.figures import FIGURES
from gengap.report.paper import QUANTITIES, suite_rows
from gengap.report.tables import TABLES
from gengap.theory import RUNNERS
from gengap.train.losses import LOSSES
from gengap.train.stopping import STOP_RULES

R = config["results_dir"]


# At the start of a run (onstart, not a dry run or a cluster node's job; see the Snakefile).
def start_run():
    warn_once()
    check_slurm_executor(workflow)
    try:
        warning = runlock.claim(config["results_dir"], os.getcwd())
    except runlock.FolderInUse as err:
        sys.exit(f"gengap: {err}")
    if warning:
        logger.warning(f"gengap: {warning}")
    if not workflow.local_exec:
        config["warm_jobs"] = False


# Jobs that will train on a GPU declare it (resources: gpu), so a profile can cap them locally and
# SLURM gives them one. Decided from the config (gengap.gpus.gpu_request), once, when the DAG is
# built (the executor is known then), and said at the start of the run. The device itself is an
# execution setting (config, read by the job), not part of a job's identity.
@functools.cache
def gpus_per_job():
    count, why = gpu_request(
        config["gpu"],
        config["device"],
        local=workflow.local_exec,
        cuda=torch.cuda.is_available(),
    )
    logger.info(
        f"GPU request: every train, measure and suite_cell job asks for {count} GPU ({why})"
    )
    return count


def uses_gpu(wildcards):
    return gpus_per_job()


def attempt_minutes(minutes):
    """A runtime (minutes) that grows with the attempt: a retry after a time limit gets twice the
    time, then three times, and resumes from the checkpoint the killed attempt left."""
    return lambda wildcards, attempt: minutes * attempt


# relative to the working directory like every input: an absolute path would change with the
# checkout's location and make a copied run rerun this table
PAPER_VALUES = "workflow/report/paper_values.csv"
CELL_DIR = f"{R}/cells/{Cell.PATH}"
TRAINING_SET = f"{R}/training_sets/{Cell.TRAINING_SET}.pt"


# The cell's fields; suites are only the configured ones (their names are [A-Za-z0-9_]+).
WILDCARDS = dict(
    Cell.WILDCARDS,
    suite="|".join(config["suites"]),
    cell=".+",
    table="[A-Za-z0-9_]+",
    figure="[A-Za-z0-9_]+",
)


wildcard_constraints:
    **WILDCARDS,


def suite_kind(wc):
    return kind_of(config["suites"][wc.suite])


@functools.cache
def plan_of(suite):
    """The suite's plan (gengap.plan): cells, their settings, measures, once per run."""
    return suite_plan(config, suite)


def cells_of(suite):
    """Every cell of a suite by cell id."""
    return plan_of(suite).cells


def cell_files(suite, name):
    """One file of every training cell of a suite."""
    return [f"{R}/cells/{cell_id}/{name}" for cell_id in cells_of(suite)]


def suite_config(wc):
    return config["suites"][wc.suite]


def other_draw(wc):
    """The cell trained on the other draw (S2 for S1 and back), where the suite has it."""
    other = Cell.from_wildcards(wc).other_draw().path
    return [f"{R}/cells/{other}/final.pt"] if other in cells_of(wc.suite) else []


def default_targets(wc):
    """What `snakemake` with no target builds (and the warnings of warn_once)."""
    warn_once()
    return [f"{R}/overview.md", f"{R}/paper_vs_gengap.md"] + [
        path
        for suite, cfg in config["suites"].items()
        for path in kind_of(cfg).outputs(R, suite, cfg)
    ]


def summary_inputs(wc):
    """What the suite's summary is gathered from, by role: its kind says."""
    return suite_kind(wc).summary_inputs(R, wc.suite, suite_config(wc))


def figure_inputs(wc):
    """The suite's summary (and histories) as its kind says, and its verdicts (the line under
    the figure)."""
    return dict(
        suite_kind(wc).figure_inputs(R, wc.suite),
        verdicts=f"{R}/summary/{wc.suite}_verdicts.parquet",
    )


def verdict_inputs(wc):
    """The suite's summary, its slopes where it fits them, and what the decoding of its datasets
    read (modified files are named in its verdicts)."""
    inputs = {"summary": f"{R}/summary/{wc.suite}.parquet"}
    if suite_config(wc).get("slopes"):
        inputs["slopes"] = f"{R}/summary/{wc.suite}_slopes.parquet"
    for d in sorted(set(suite_config(wc)["datasets"])):
        inputs[f"read_{d}"] = f"{R}/datasets/{d}.read.json"
    return inputs


@functools.cache
def paper_rows(suite):
    """The paper values about ``suite``: the verdicts rule's param, so that editing one value
    reruns its suite's verdicts (and figures) only."""
    return suite_rows(PAPER_VALUES, suite)


def computed_cell(wc):
    return cells_of(wc.suite)[wc.cell]


def computed_params(wc):
    """The cell as plain values (Snakemake leaves other params out of a job's identity)."""
    return computed_cell(wc).as_params()


def computed_dataset(wc):
    dataset = suite_kind(wc).dataset_of(computed_cell(wc))
    return [f"{R}/datasets/{dataset}.pt"] if dataset else []


@functools.cache
def claim_commands():
    """For the claims a run did not measure: by suite, the command that runs it."""
    import pandas as pd
    from gengap.config import read_yaml, run_commands

    suites = sorted(set(pd.read_csv(PAPER_VALUES, dtype=str)["suite"]))
    return run_commands(read_yaml("config.yaml"), suites)


def every_verdict(wc):
    """Every suite's verdicts."""
    return {
        f"verdicts_{s}": f"{R}/summary/{s}_verdicts.parquet" for s in config["suites"]
    }


def overview_inputs(wc):
    """Every suite's summary, its slopes where it fits them, and its measure ranking where it
    ranks its measures."""
    inputs = {f"summary_{s}": f"{R}/summary/{s}.parquet" for s in config["suites"]}
    for suite, cfg in config["suites"].items():
        if cfg.get("slopes"):
            inputs[f"slopes_{suite}"] = f"{R}/summary/{suite}_slopes.parquet"
        if "measure_ranking" in (cfg.get("tables") or []):
            inputs[f"ranking_{suite}"] = f"{R}/tables/{suite}/measure_ranking.parquet"
    return inputs


# Said once, when the DAG of the default target is built or a run starts (Snakemake knows its
# rerun triggers only then, not while it reads this file):
# - that Snakemake's `code` trigger is on: a job's code is its digest in params, not its script's
#   file time (profiles: rerun-triggers without `code`), so that a fresh clone, a `git checkout`
#   or a new worktree of the same code reruns nothing;
# - which files failed verification and have not been needed since: moved aside (gengap.atomic),
#   each is rebuilt when a job needs it.
@functools.cache
def warn_once():
    for warning in (
        code_trigger_warning(workflow.rerun_triggers),
        set_aside_warning(R),
    ):
        if warning:
            logger.warning(f"gengap: {warning}")


# Code digests (gengap.provenance): the script's modules plus the registered items a job uses.


def dataset_code(wc):
    return code_digest("prepare_dataset", DATASETS.definition(wc.dataset))


@functools.cache
def dataset_identity_of(dataset):
    """Once per dataset and run: its source identity (a missing data root warns once)."""
    return data_identity(
        dataset, data_root(config["data_root"]), R, warn=lambda msg: logger.warning(msg)
    )


def dataset_identity(wc):
    return dataset_identity_of(wc.dataset)


def corruption_code(wc):
    return code_digest(
        "training_set", CORRUPTIONS.definition(parse_corruption(wc.corruption)[0])
    )


def train_code(wc):
    settings = plan_of(wc.suite).training_settings(wc.model, wc.reg)
    return code_digest(
        "train",
        MODELS.definition(wc.model),
        LOSSES.definition(settings.loss),
        STOP_RULES.definition(settings.stop["criterion"]),
    )


def measure_code(wc):
    names = plan_of(wc.suite).measures
    return code_digest("measure", *[MEASURES.definition(m) for m in names])
