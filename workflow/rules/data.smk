# Stage 1: decode each dataset once; draw each (n, seed, corruption) training set once.


rule prepare_dataset:
    output:
        R + "/datasets/{dataset}.pt",
    params:
        root=lambda wc: str(data_root(config["data_root"])),
        code=stage_digest("dataset"),
    log:
        R + "/logs/prepare_dataset/{dataset}.log",
    resources:
        mem_mb=8000,
    script:
        "../scripts/prepare_dataset.py"


rule training_set:
    input:
        rules.prepare_dataset.output,
    output:
        TRAINING_SET,
    params:
        code=lambda wc: corruption_digest(wc.corruption),
    log:
        R + "/logs/training_set/{dataset}/n{n}/seed{seed}/draw{draw}/{corruption}.log",
    resources:
        mem_mb=8000,
    script:
        "../scripts/training_set.py"
