# Cells of computed suite kinds (expressivity, kernel): each builds or solves and writes one
# summary row; the kind's `run` does the work.


rule suite_cell:
    input:
        computed_dataset,
    output:
        f"{R}/theory/{{suite}}/{{cell}}.parquet",
    log:
        f"{R}/logs/theory/{{suite}}/{{cell}}.log",
    conda:
        "../envs/gengap.yaml"
    threads: 2
    resources:
        gpu=USES_GPU,
        mem_mb=16000,
        runtime=attempt_minutes(120),
    params:
        kind=lambda wc: config["suites"][wc.suite]["kind"],
        spec=computed_spec,
        code=code_digest("suite_cell"),
    script:
        "../scripts/suite_cell.py"
