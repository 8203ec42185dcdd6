# gengap: the experiments of Zhang et al. (2017) and Nagarajan & Kolter (2019) as one DAG.
#
#   snakemake --cores all --config preset=quick     # small grid, CPU, minutes
#   snakemake --cores all                           # the full grid (GPU)
#
# This file loads and validates the config and includes one rule file per stage.

from snakemake.utils import min_version, validate

min_version("8.0")

import gengap.config as plan


configfile: "config.yaml"


config.update(plan.apply_preset(config))
validate(config, "workflow/schemas/config.schema.yaml")
plan.check(config)


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/measure.smk"
include: "workflow/rules/summarize.smk"
include: "workflow/rules/theory.smk"


# On a cluster these run on the submitting host, not as jobs: dataset downloads need the
# internet (compute nodes often lack it), and the rest take seconds. Ignored when running locally.
localrules:
    all,
    prepare_dataset,
    training_set,
    summarize,
    slopes,
    figure,
    table,
    summarize_theory,
    theory_figure,


rule all:
    input:
        all_outputs(),
    default_target: True
