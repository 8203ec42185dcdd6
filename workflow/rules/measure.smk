# Stage 3: measures of a trained cell, from its saved weights; editing measure code reruns this
# stage (and the summaries) but never training.


rule measure:
    input:
        data=TRAINING_SET,
        init=rules.train.output.init,
        final=rules.train.output.final,
        record=rules.train.output.record,
        other_draw=other_draw,
    output:
        f"{CELL_DIR}/measures.parquet",
    log:
        f"{R}/logs/measure/{Cell.PATH}.log",
    conda:
        "../envs/gengap.yaml"
    threads: 1
    resources:
        gpu=uses_gpu,
        mem_mb=8000,
        runtime=attempt_minutes(30),
    params:
        measures=lambda wc: list(plan_of(wc.suite).measures),
        options=lambda wc: plan_of(wc.suite).measure_options.as_params(),
        code=measure_code,
    script:
        "../scripts/measure.py"
