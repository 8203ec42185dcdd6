from gengap.joblog import job_log
from gengap.report.overview import write_overview

log = job_log(snakemake)
inputs = dict(snakemake.input.items())
write_overview({k.removeprefix("summary_"): v for k, v in inputs.items() if k.startswith("summary_")},
               dict(snakemake.params.kinds),
               {k.removeprefix("slopes_"): v for k, v in inputs.items() if k.startswith("slopes_")},
               snakemake.output[0], snakemake.input.paper,
               {k.removeprefix("ranking_"): v for k, v in inputs.items() if k.startswith("ranking_")})
log(f"wrote {snakemake.output[0]}")
