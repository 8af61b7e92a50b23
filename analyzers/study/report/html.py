"""The report's HTML building blocks: escaping, percentages and intervals, tables, figures."""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from analyzers.study.charts import Chart, chart_div

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1100px;padding:0 1.5em 3em;color:#222;line-height:1.45}
h1{margin-top:1.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
nav a{margin-right:.8em}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}
caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border-bottom:1px solid #e4e4e4;padding:.25em .7em;text-align:left;vertical-align:top}
th{background:#f6f6f6}.num{text-align:right;font-variant-numeric:tabular-nums}
td.empty{color:#888;font-style:italic}
figure{margin:1.5em 0}figcaption{color:#555;font-size:.9em}
.side{display:flex;gap:2em;flex-wrap:wrap}.warning{color:#a40000;font-weight:600}
"""
DASH = "\u2013"
CHECK = "\u2713"


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


class Raw(str):
    """HTML made here (a link), placed in a table cell as it is; every other cell is escaped."""


def link(url: str, text: object) -> Raw:
    """A link whose URL and text are escaped."""
    return Raw(f'<a href="{esc(url)}">{esc(text)}</a>')


def page_name(repo: str) -> str:
    """The file name of a repository's page: `owner__name.html` for a GitHub name, else its
    safe characters and a digest (two names never share a page)."""
    owner, slash, name = repo.partition("/")
    plain = re.fullmatch(r"[A-Za-z0-9-]+", owner) and re.fullmatch(r"[A-Za-z0-9._-]+", name)
    if slash and plain and name not in (".", ".."):
        return f"{owner}__{name}.html"
    digest = hashlib.sha256(repo.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", repo)[:64].strip("._-") or "repo"
    return f"{readable}-{digest}.html"


def repo_link(repo: str, prefix: str = "repos/") -> Raw:
    """The repository's name linked to its page (from the report's folder by default)."""
    return link(prefix + page_name(repo), repo)


def cell_html(value: object) -> str:
    return value if isinstance(value, Raw) else esc(value)


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
                f"<td{' class=num' if i in right else ''}>{cell_html(cell)}</td>"
                for i, cell in enumerate(row)
            )
            + "</tr>"
        )
    if not body:
        out.append(f'<tr><td colspan="{len(headers)}" class="empty">none</td></tr>')
    out.append("</tbody></table>")
    return "\n".join(out)


def figure_html(chart: Chart, static: Iterable[str]) -> str:
    """A chart as a figure with its title and caption beneath (the image has no title, as a
    paper's figure has none), what it counts, and links to its files (HTML, PNG, SVG, PDF)."""
    links = [f'<a href="charts/{esc(chart.name)}.html">interactive</a>']
    links += [f'<a href="charts/{esc(chart.name)}.{fmt}">{fmt.upper()}</a>' for fmt in static]
    counted = f" n = {esc(chart.n)}." if chart.n else ""
    return (
        f'<figure id="figure-{esc(chart.name)}">\n{chart_div(chart)}\n'
        f"<figcaption><strong>{esc(chart.title)}.</strong> {esc(chart.caption)}{counted} "
        f"({' · '.join(links)})</figcaption>\n</figure>"
    )
