from gengap.gpus import pin_snakemake_job
from gengap.joblog import job_log
from gengap.measures.cell import measure_cell

log = job_log(snakemake)
pin_snakemake_job(snakemake, log)
measure_cell(
    snakemake.input.data,
    snakemake.input.init,
    snakemake.input.final,
    snakemake.input.record,
    snakemake.output[0],
    other_draw_path=(snakemake.input.other_draw or [None])[0],
    measures=list(snakemake.params.measures),
    options=dict(snakemake.params.options),
    device=snakemake.config["device"],
    log=log,
)
