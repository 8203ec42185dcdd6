# Stage 2: train one cell. params carry the resolved training settings and the digests of the
# code involved, so editing one model's settings or code reruns exactly that model's cells.


rule train:
    input:
        TRAINING_SET,
    output:
        init=f"{CELL_DIR}/init.pt",
        final=f"{CELL_DIR}/final.pt",
        history=f"{CELL_DIR}/history.parquet",
        record=f"{CELL_DIR}/record.json",
    log:
        f"{R}/logs/train/{Cell.PATH}.log",
    benchmark:
        f"{R}/benchmarks/train/{Cell.PATH}.tsv"
    conda:
        "../envs/gengap.yaml"
    threads: 1
    resources:
        gpu=uses_gpu,
        mem_mb=8000,
        runtime=attempt_minutes(120),
    params:
        settings=lambda wc: plan_of(wc.suite)
        .training_settings(wc.model, wc.reg)
        .identity(),
        code=train_code,
    script:
        "../scripts/train.py"
