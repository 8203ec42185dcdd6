# Stage 1: decode each dataset once; draw each (n, seed, corruption) training set once.


rule prepare_dataset:
    output:
        f"{R}/datasets/{{dataset}}.pt",
    log:
        f"{R}/logs/prepare_dataset/{{dataset}}.log",
    conda:
        "../envs/gengap.yaml"
    resources:
        mem_mb=8000,
    params:
        root=lambda wc: str(data_root(config["data_root"])),
        code=stage_digest("dataset"),
    script:
        "../scripts/prepare_dataset.py"


rule training_set:
    input:
        rules.prepare_dataset.output,
    output:
        TRAINING_SET,
    log:
        f"{R}/logs/training_set/{Cell.TRAINING_SET}.log",
    conda:
        "../envs/gengap.yaml"
    resources:
        mem_mb=8000,
    params:
        code=lambda wc: corruption_digest(wc.corruption),
    script:
        "../scripts/training_set.py"
