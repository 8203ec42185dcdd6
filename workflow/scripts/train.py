from gengap.cell import Cell
from gengap.gpus import pin_snakemake_job
from gengap.joblog import job_log
from gengap.train.cell import train_cell

log = job_log(snakemake)
pin_snakemake_job(snakemake, log)
cell = Cell.from_wildcards(snakemake.wildcards)
train_cell(
    snakemake.input[0],
    init_path=snakemake.output.init,
    final_path=snakemake.output.final,
    history_path=snakemake.output.history,
    record_path=snakemake.output.record,
    cell=cell.key(),
    model_name=cell.model,
    settings=dict(snakemake.params.settings),
    seed=cell.seed,
    device=snakemake.config["device"],  # execution settings: config, not params (not identity)
    code=snakemake.params.code,
    threads=snakemake.threads,
    log=log,
    checkpoint_seconds=snakemake.config["checkpoint_seconds"],
    progress_seconds=snakemake.config["progress_seconds"],
)
