# gengap: the experiments of Zhang et al. (2017) and Nagarajan & Kolter (2019) as one DAG.
#
#   snakemake --cores all --config preset=quick     # small grid, CPU, minutes
#   snakemake --cores all                           # the full grid (GPU)
#
# This file loads the config (preset merged, validated against the schema by Snakemake's
# validate, then checked against the registries) and includes one rule file per stage.

import sys
from pathlib import Path

from snakemake.utils import min_version

import gengap.config as plan
from gengap.cluster import check_slurm_executor

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


# The report opens on the verdict table of this run (workflow/report/workflow.rst shows it).
_verdicts = Path(config["results_dir"]) / "paper_vs_gengap.html"
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
        all_outputs(),


# Before the first submission: a SLURM cluster that could not report finished jobs would make
# Snakemake wait forever, so stop now with what to change (gengap.cluster).
onstart:
    check_slurm_executor(workflow)
