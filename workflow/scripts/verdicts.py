from gengap.joblog import job_log
from gengap.report.paper import write_suite_verdicts

log = job_log(snakemake)
inputs = dict(snakemake.input.items())
table = write_suite_verdicts(
    list(snakemake.params.paper_values), snakemake.wildcards.suite, snakemake.input.summary,
    snakemake.input.get("slopes"), snakemake.output[0],
    {k.removeprefix("read_"): v for k, v in inputs.items() if k.startswith("read_")})
log(f"{len(table)} rows about suite {snakemake.wildcards.suite}: {int(table['gengap_value'].notna().sum())} measured")
