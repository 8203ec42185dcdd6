# Stage 2: train one cell. params carry the resolved training settings and the digests of the
# code involved, so editing one model's settings or code reruns exactly that model's cells.


rule train:
    input:
        TRAINING_SET,
    output:
        init=CELL_DIR + "/init.pt",
        final=CELL_DIR + "/final.pt",
        history=CELL_DIR + "/history.parquet",
        record=CELL_DIR + "/record.json",
    params:
        settings=lambda wc: training_settings(config, wc.suite, wc.model, wc.reg),
        code=lambda wc: {"train": stage_digest("train"), "model": model_digest(wc.model)},
        device=DEVICE,
    log:
        R + "/logs/train/" + CELL_LOG + ".log",
    benchmark:
        R + "/benchmarks/train/" + CELL_LOG + ".tsv"
    threads: 1
    resources:
        gpu=USES_GPU,
        mem_mb=8000,
        runtime=240,
    script:
        "../scripts/train.py"
