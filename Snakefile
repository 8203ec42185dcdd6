# gengap: the experiments of Zhang et al. (2017) and Nagarajan & Kolter (2019) as one DAG.
#
#   snakemake --cores all --config preset=quick     # small grid, CPU, minutes
#   snakemake --cores all                           # the full grid (GPU)
#
# This file loads the config (preset merged, validated against the schema by Snakemake's
# validate, then checked against the registries) and includes one rule file per stage.

import os
import sys
from pathlib import Path

from snakemake.utils import min_version

# This checkout's own gengap, for the workflow and every job it starts, whatever else is installed
# or on PYTHONPATH (a pinned worktree runs its own commit's code: gengap.runlock).
sys.path.insert(0, str(Path(workflow.basedir) / "src"))
import gengap.runlock as runlock

runlock.own_source(workflow.basedir)
try:
    runlock.check_source(Path(workflow.basedir) / "src")
except runlock.ForeignSource as err:
    sys.exit(f"gengap: {err}")

import gengap.config as plan
from gengap.data.sources import absolute_data_root_env

absolute_data_root_env()  # a relative GENGAP_DATA_ROOT means the folder the run was started from

min_version("8.0")


try:
    plan.check_yaml_files(["config.yaml", *workflow.overwrite_configfiles])
except plan.ConfigError as err:
    sys.exit(f"gengap: bad configuration:\n{err}")  # the message alone, no traceback


configfile: "config.yaml"


# `snakemake --report report.html`: every figure and table, with captions (workflow/report/).
report: "workflow/report/workflow.rst"


try:
    config.update(
        plan.prepare(config, overrides=workflow.config_settings.overwrite_config)
    )
except plan.ConfigError as err:
    sys.exit(f"gengap: bad configuration:\n{err}")


# The report opens on this run's verdicts, one line per claim (workflow/report/workflow.rst shows it).
_verdicts = Path(config["results_dir"]) / "paper_vs_gengap_landing.html"
if _verdicts.exists():
    config["report_landing"] = _verdicts.read_text()


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/measure.smk"
include: "workflow/rules/summarize.smk"
include: "workflow/rules/computed.smk"


# On a cluster these run on the submitting host, not as jobs: dataset downloads need the
# internet (compute nodes often lack it), and the rest take seconds. Ignored when running locally.
localrules:
    all,
    dataset_source,
    prepare_dataset,
    training_set,
    summarize,
    history,
    slopes,
    figure,
    table,
    overview,


rule all:
    default_target: True
    input:
        default_targets,


# Before the first job: a SLURM cluster that could not report finished jobs would make Snakemake
# wait forever, so stop now with what to change (gengap.cluster); the results folder is this
# run's alone until it ends (gengap.runlock); warm jobs only where every job runs on this host.
onstart:
    start_run()
