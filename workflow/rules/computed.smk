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
        gpu=uses_gpu,
        mem_mb=16000,
        runtime=attempt_minutes(120),
    params:
        kind=lambda wc: config["suites"][wc.suite]["kind"],
        spec=computed_params,
        code=lambda wc: code_digest(
            "suite_cell", RUNNERS.definition(config["suites"][wc.suite]["kind"])
        ),
    script:
        "../scripts/suite_cell.py"
