from gengap.evaluation import resolve_device
from gengap.gpus import pin_snakemake_job
from gengap.joblog import job_log
from gengap.suites.run import run_cell

log = job_log(snakemake)
pin_snakemake_job(snakemake, log, whole_gpu=True)  # kernel solves take the whole card
row = run_cell(snakemake.params.kind, dict(snakemake.params.spec), snakemake.input[0] if snakemake.input else None,
               snakemake.output[0], device=str(resolve_device(snakemake.config["device"])))
log(" ".join(f"{k}={v}" for k, v in row.items()))
