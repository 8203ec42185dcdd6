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
        data=dataset_identity,
        code=dataset_code,
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
        code=corruption_code,
    script:
        "../scripts/training_set.py"
