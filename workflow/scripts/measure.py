from gengap.warm import delegate

delegate(snakemake)  # in a warm fork that imported torch already (gengap.warm)

from gengap.job import start
from gengap.measures.cell import measure_cell

job = start(snakemake)
measure_cell(
    snakemake.input.data,
    snakemake.input.init,
    snakemake.input.final,
    snakemake.input.record,
    snakemake.output[0],
    other_draw_path=(snakemake.input.other_draw or [None])[0],
    measures=list(snakemake.params.measures),
    options=dict(snakemake.params.options),
    job=job,
)
