# Stage 1: decode each dataset once; draw each (n, seed, corruption) training set once.


# The dataset's source identity (content, not location: gengap.data.identity.data_identity);
# its file is what the decoding job depends on, so a changed source redecodes the dataset.
rule dataset_source:
    output:
        f"{R}/datasets/{{dataset}}.source.json",
    log:
        f"{R}/logs/dataset_source/{{dataset}}.log",
    conda:
        "../envs/gengap.yaml"
    params:
        data=dataset_identity,
        code=code_digest("dataset_source"),
    script:
        "../scripts/dataset_source.py"


rule prepare_dataset:
    input:
        rules.dataset_source.output,
    output:
        pt=f"{R}/datasets/{{dataset}}.pt",
        read=f"{R}/datasets/{{dataset}}.read.json",
    log:
        f"{R}/logs/prepare_dataset/{{dataset}}.log",
    conda:
        "../envs/gengap.yaml"
    resources:
        mem_mb=8000,
    params:
        code=dataset_code,
    script:
        "../scripts/prepare_dataset.py"


rule training_set:
    input:
        rules.prepare_dataset.output.pt,
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
