"""A self-contained HTML report of a batch run: one file, no scripts, nothing fetched.

Every value that came from the input or the lists is HTML-escaped: customer
files are untrusted, and the report is opened in a browser.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tamiz.screen.batch.stats import BINS

if TYPE_CHECKING:
    from tamiz.screen.batch.run import BatchSummary

_CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;
vertical-align:top}th{background:#f3f3f3}.num{text-align:right}.stale{color:#b00;font-weight:bold}
.figures td:first-child{font-weight:bold}small{color:#666}"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def histogram_svg(histogram: list[int], width: int = 640, height: int = 200) -> str:
    """Bars of hit counts per score band, with the band edges under them."""
    pad, base = 30, height - 25
    top = max(histogram) or 1
    bar_w = (width - 2 * pad) / BINS
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="score distribution of hits">']
    parts.append(f'<line x1="{pad}" y1="{base}" x2="{width - pad}" y2="{base}" stroke="#444"/>')
    for i, count in enumerate(histogram):
        h = (base - 20) * count / top
        x = pad + i * bar_w
        parts.append(f'<rect x="{x + 1:.1f}" y="{base - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                     f'fill="{"#c0392b" if i >= BINS * 0.85 else "#e67e22" if i >= BINS * 0.7 else "#95a5a6"}">'
                     f'<title>{i / BINS:.2f}-{(i + 1) / BINS:.2f}: {count}</title></rect>')
        if count:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{base - h - 3:.1f}" font-size="10" '
                         f'text-anchor="middle">{count}</text>')
        if i % 2 == 0:
            parts.append(f'<text x="{x:.1f}" y="{base + 14}" font-size="10" text-anchor="middle">{i / BINS:.1f}</text>')
    parts.append(f'<text x="{width - pad:.1f}" y="{base + 14}" font-size="10" text-anchor="middle">1.0</text>')
    parts.append("</svg>")
    return "".join(parts)


def _counts_table(title: str, counts: dict[str, int], limit: int = 30) -> str:
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    body = "".join(f"<tr><td>{_e(k)}</td><td class=num>{v}</td></tr>" for k, v in rows) or \
        "<tr><td colspan=2>none</td></tr>"
    return f"<h2>{_e(title)}</h2><table><tr><th>{_e(title.split()[-1])}</th><th>hits</th></tr>{body}</table>"


def render_report(summary: "BatchSummary") -> str:
    s = summary.stats
    figures = [
        ("input", summary.input), ("output", summary.output), ("rows read", s.rows), ("rows screened", s.screened),
        ("rows with errors", s.errors), ("hits", s.hits), ("rows with hits", s.rows_with_hits),
        ("duration", f"{summary.seconds:.1f} s"), ("workers", summary.workers),
        ("resumed from row", summary.resumed_from_row or "no"), ("errors file", summary.errors_file or "none"),
    ]
    fig_html = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in figures)
    lists = "".join(
        f"<tr><td>{_e(d.get('name'))}</td><td class=num>{_e(d.get('version'))}</td><td>{_e(d.get('published') or 'unknown')}</td>"
        f"<td>{_e(str(d.get('loaded_at', ''))[:19])}</td><td class=num>{_e(d.get('entity_count'))}</td>"
        f"<td class=num>{_e(d.get('age_days'))}</td>"
        f"<td{' class=stale' if d.get('stale') else ''}>{_e(d.get('warning') or ('stale' if d.get('stale') else 'current'))}</td></tr>"
        for d in summary.datasets)
    top = "".join(
        f"<tr><td class=num>{h['score']:.3f}</td><td>{_e(h['key'])}</td><td>{_e(h['name'])}</td>"
        f"<td>{_e(h['caption'])}<br><small>{_e(h['entity_id'])} · {_e(h['schema'])} · "
        f"{_e(', '.join(h.get('programs') or []))}</small></td><td>{_e(h['explanation'])}</td></tr>"
        for h in s.top) or "<tr><td colspan=5>no hits</td></tr>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>tamiz batch report: {_e(Path(summary.input).name)}</title>
<style>{_CSS}</style></head><body>
<h1>Batch screening report</h1>
<table class=figures>{fig_html}</table>
<h2>Lists used</h2>
<table><tr><th>list</th><th>version</th><th>published</th><th>loaded</th><th>entities</th><th>age (days)</th><th>status</th></tr>{lists}</table>
<h2>Score distribution of hits</h2>
{histogram_svg(s.histogram)}
{_counts_table("Hits per list", s.per_list)}
{_counts_table("Hits per programme", s.per_program)}
<h2>Top hits</h2>
<table><tr><th>score</th><th>key</th><th>input name</th><th>listed party</th><th>why</th></tr>{top}</table>
</body></html>
"""


def write_report(path: Path, summary: "BatchSummary") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_report(summary), encoding="utf-8")
    tmp.replace(path)
