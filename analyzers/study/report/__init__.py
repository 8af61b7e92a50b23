"""The study report: one offline HTML page (`page`), its sections by family of findings
(`counts`, `findings`, `evolution`) built from `html`'s blocks.

Adding a section: a function from `Aggregates` (and `figure`, which places a chart by name) to
HTML in its family's module, listed in the page's sections (`page.render_index`).
"""

from analyzers.study.report.page import Report, build_report, render_index

__all__ = ["Report", "build_report", "render_index"]
