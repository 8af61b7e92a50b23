"""The report's HTML building blocks: escaping, percentages and intervals, tables, figures."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from analyzers.study.charts import Chart, chart_div

DASH = "\u2013"
CHECK = "\u2713"


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def pct(share: float) -> str:
    """`0.625` -> `62.5%`; a dash when undefined (no analysed repository)."""
    return DASH if share is None or math.isnan(share) else f"{100 * share:.1f}%"


def ci(low: float, high: float) -> str:
    """An interval in percent with an en dash between the bounds; a dash when undefined."""
    if low is None or math.isnan(low):
        return DASH
    return f"{100 * low:.1f}{DASH}{100 * high:.1f}%"


def of_population(name: str, n: int) -> str:
    """How a share's population is named in captions: `population analysed, n = 59`."""
    return f"population {name}, n = {n}"


def share_cells(row: Mapping[str, Any]) -> tuple[str, str, str]:
    """The cells of a share: `k/n`, the percentage, the 95% interval."""
    return (
        f"{row['n_using']}/{row['n_analysed']}",
        pct(row["share"]),
        ci(row["ci_low"], row["ci_high"]),
    )


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    numeric: Iterable[int] = (),
    caption: str = "",
) -> str:
    """An HTML table; every cell is escaped, columns in `numeric` are right-aligned."""
    right = set(numeric)
    out = ["<table>"]
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    out.append(
        "<thead><tr>"
        + "".join(
            f"<th{' class=num' if i in right else ''}>{esc(h)}</th>" for i, h in enumerate(headers)
        )
        + "</tr></thead>"
    )
    out.append("<tbody>")
    body = 0
    for row in rows:
        body += 1
        out.append(
            "<tr>"
            + "".join(
                f"<td{' class=num' if i in right else ''}>{esc(cell)}</td>"
                for i, cell in enumerate(row)
            )
            + "</tr>"
        )
    if not body:
        out.append(f'<tr><td colspan="{len(headers)}" class="empty">none</td></tr>')
    out.append("</tbody></table>")
    return "\n".join(out)


def figure_html(chart: Chart, static: Iterable[str]) -> str:
    """A chart as a figure with its caption and links to its files (HTML, and PNG/SVG if any)."""
    links = [f'<a href="charts/{esc(chart.name)}.html">interactive</a>']
    links += [f'<a href="charts/{esc(chart.name)}.{fmt}">{fmt.upper()}</a>' for fmt in static]
    return (
        f'<figure id="figure-{esc(chart.name)}">\n{chart_div(chart)}\n'
        f"<figcaption>{esc(chart.caption)} ({' · '.join(links)})</figcaption>\n</figure>"
    )
