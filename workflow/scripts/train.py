from gengap.cell import Cell
from gengap.job import start
from gengap.settings import TrainingSettings
from gengap.train.cell import CellFiles, train_cell

job = start(snakemake)
out = snakemake.output
train_cell(
    Cell.from_wildcards(snakemake.wildcards),
    TrainingSettings.from_mapping(snakemake.params.settings),
    snakemake.input[0],
    CellFiles(out.init, out.final, out.history, out.record),
    code=snakemake.params.code,
    job=job,
)
