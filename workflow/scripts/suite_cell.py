from gengap.warm import delegate

delegate(snakemake)  # in a warm fork that imported torch already (gengap.warm)

from gengap.job import start
from gengap.suites import KINDS
from gengap.theory import run_cell

job = start(snakemake, whole_gpu=True)  # kernel solves take the whole card
kind = snakemake.params.kind
cell = KINDS[kind].cell(snakemake.params.spec)
row = run_cell(kind, cell, snakemake.input[0] if snakemake.input else None, snakemake.output[0], job=job)
job.log(" ".join(f"{k}={v}" for k, v in row.items()))
