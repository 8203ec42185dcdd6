"""What can be checked of a figure without eyes: it fits the report, it says what it shows in
words (a title, axis labels and legend entries that are not the summaries' column or measure
names), its legend lies inside the saved image, and no line averages over a grid dimension (one
panel per dataset, model and regularization setting that varies)."""

from __future__ import annotations

import struct
from pathlib import Path

import pandas as pd

from gengap.report.figures import DPI, FIGURES, WIDTH, panels, plt, tidy_log_axes

MAX_PIXELS = int(WIDTH * DPI)  # the width the report shows without scaling (1,350 pixels)


MAX_HEIGHT = 1000  # the report centres a figure in its pane: a taller one loses its top (and title)


def png_width(path: Path) -> int:
    return struct.unpack(">I", Path(path).read_bytes()[16:20])[0]


def png_height(path: Path) -> int:
    return struct.unpack(">I", Path(path).read_bytes()[20:24])[0]


def check_figure(name: str, summary: pd.DataFrame, history: pd.DataFrame | None, png: Path | None = None) -> None:
    if png is not None:
        assert png_width(png) <= MAX_PIXELS, f"{png}: {png_width(png)} pixels wide"
        assert png_height(png) <= MAX_HEIGHT, f"{png}: {png_height(png)} pixels tall"
    fig = FIGURES[name](summary, history)
    tidy_log_axes(fig)
    fig.canvas.draw()
    tall = fig.get_tightbbox(fig.canvas.get_renderer()).height * DPI
    assert tall <= MAX_HEIGHT, f"{name}: {tall:.0f} pixels tall (the report shows at most {MAX_HEIGHT})"
    raw = set(summary.columns) | set(summary.get("measure", pd.Series(dtype=str)).astype(str))
    raw |= set(history.columns) if history is not None else set()
    raw.discard("n")  # "n" is the papers' name too
    assert fig._suptitle is not None and fig._suptitle.get_text().strip(), f"{name}: no title"
    drawn = [ax for ax in fig.axes if ax.lines or ax.collections]
    for ax in drawn:
        for text in (ax.get_xlabel(), ax.get_ylabel()):
            assert text not in raw, f"{name}: axis label {text!r} is a column name"
        assert ax.get_xlabel() or ax.get_ylabel() or any(a.get_ylabel() for a in drawn), f"{name}: unlabelled axes"
    legends = [lg for lg in [*fig.legends, *(ax.get_legend() for ax in fig.axes)] if lg is not None]
    image = fig.get_tightbbox(fig.canvas.get_renderer())
    for legend in legends:
        for text in legend.get_texts():
            assert text.get_text() not in raw - {"true", "none", "mnist"}, f"{name}: legend entry {text.get_text()!r}"
        box = legend.get_window_extent().transformed(fig.dpi_scale_trans.inverted())
        assert image.x0 - 0.05 <= box.x0 and box.x1 <= image.x1 + 0.05, f"{name}: legend outside the figure"
    if history is not None and name == "loss_curves":
        assert len(drawn) >= panels(history).nunique(), f"{name}: settings averaged into one panel"
    if name == "label_noise":
        shown = summary[summary["label_noise"].notna()]
        assert len(drawn) >= 2 * panels(shown, ("dataset", "reg")).nunique(), f"{name}: settings averaged"
    plt.close(fig)


def check_run_figures(results: Path, suite: str, names: list[str]) -> None:
    """Every figure of a finished suite: the saved PNG, and the figure drawn again from the summary."""
    summary = pd.read_parquet(results / "summary" / f"{suite}.parquet")
    history_path = results / "summary" / "history" / f"{suite}.parquet"
    history = pd.read_parquet(history_path) if history_path.exists() else None
    for name in names:
        check_figure(name, summary, history, results / "figures" / suite / f"{name}.png")


MEASURE = """<script>
(function measure(tries) {  // once the report's app has drawn its landing page
  const rows = document.querySelectorAll("ul.paper-vs-gengap-landing li").length;
  const head = document.querySelector("p.paper-vs-gengap-heading");
  if ((!rows || !head) && tries > 0) { setTimeout(() => measure(tries - 1), 200); return; }
  const root = document.scrollingElement || document.documentElement;
  const box = head ? head.getBoundingClientRect() : {top: -1, bottom: -1};
  document.title = `gengap-layout rows=${rows} scroll=${root.scrollWidth} view=${window.innerWidth} ` +
    `top=${Math.round(box.top)} bottom=${Math.round(box.bottom)} height=${window.innerHeight}`;
})(50);
</script>"""


def report_layout(report: Path, width: int = 1400) -> dict[str, int] | None:
    """The report as a browser shows it on landing (headless Chromium, ``width`` x 900 pixels): the
    claims listed, the page's scroll width and the window's width, where the landing's first line
    (the counts) is in the window (top, bottom) and the window's height; None without Chromium."""
    import re
    import shutil
    import subprocess
    import tempfile

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        text = report.read_text()
        end = text.rfind("</body>")  # the page's own end (the app's data holds others)
        page.write_text(text[:end] + MEASURE + text[end:])
        out = subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              "--disable-background-networking", "--disable-component-update", "--disable-sync",
                              f"--user-data-dir={tmp}/profile", f"--window-size={width},900",
                              "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
                             capture_output=True, text=True, timeout=120).stdout
    found = re.search(r"gengap-layout rows=(\d+) scroll=(\d+) view=(\d+) top=(-?\d+) bottom=(-?\d+) height=(\d+)", out)
    assert found, "the report did not finish loading in the browser"
    return dict(zip(("rows", "scroll", "view", "top", "bottom", "height"), map(int, found.groups())))
