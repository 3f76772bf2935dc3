"""Small server-rendered SVG charts: readable at a glance, no script, nothing fetched.

The drawing width is close to the width a dashboard card gives the chart (about 400 px at
1280 px and on a tablet), so text drawn at 12-13 units shows at about that many pixels."""

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

PALETTE = {
    "home_care": "#2e7d32",
    "physiotherapy": "#1565c0",
    "medical_referral": "#b71c1c",
}
BAR = "#37474f"


def _n(value: float) -> str:
    return f"{value:.1f}"


def _join(parts: list[SafeString]) -> SafeString:
    """Join pieces that format_html already escaped."""
    return format_html_join("", "{}", ((part,) for part in parts))


def stacked_bars(
    title: str, columns: list[str], series: dict[str, list[int]], width: int = 420
) -> SafeString:
    """One stacked bar per column (e.g. a day), one colour per series (e.g. a disposition)."""
    height, top, bottom, left = 230, 12, 46, 30
    totals = [sum(values[i] for values in series.values()) for i in range(len(columns))]
    peak = max(totals, default=0) or 1
    step = (width - left - 10) / max(len(columns), 1)
    scale = (height - top - bottom) / peak
    rects = []
    for i, column in enumerate(columns):
        y = height - bottom
        for name, values in series.items():
            h = values[i] * scale
            if values[i]:
                y -= h
                rects.append(
                    format_html(
                        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                        "<title>{}: {} {}</title></rect>",
                        _n(left + i * step + 1),
                        _n(y),
                        _n(max(step - 2, 1)),
                        _n(h),
                        PALETTE.get(name, BAR),
                        column,
                        values[i],
                        name.replace("_", " "),
                    )
                )
        if len(columns) <= 8 or i % max(len(columns) // 5, 1) == 0:
            rects.append(
                format_html(
                    '<text x="{}" y="{}" font-size="12" text-anchor="middle">{}</text>',
                    _n(left + i * step + step / 2),
                    height - bottom + 14,
                    column[5:],
                )
            )
    axis = format_html(
        '<text x="2" y="{}" font-size="12">{}</text><text x="2" y="{}" font-size="12">0</text>',
        top + 10,
        peak,
        height - bottom,
    )
    legend = format_html_join(
        "",
        '<rect x="{}" y="{}" width="11" height="11" fill="{}"></rect>'
        '<text x="{}" y="{}" font-size="13">{}</text>',
        (
            (
                n * 135,
                height - 15,
                PALETTE.get(name, BAR),
                n * 135 + 15,
                height - 5,
                name.replace("_", " "),
            )
            for n, name in enumerate(series)
        ),
    )
    return format_html(
        '<svg role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%" '
        'style="max-width:{}px"><title>{}</title>{}{}{}</svg>',
        title,
        width,
        height,
        width,
        title,
        axis,
        _join(rects),
        legend,
    )


def horizontal_bars(title: str, rows: list[tuple[str, int]], width: int = 420) -> SafeString:
    """One labelled bar per row (e.g. referrals per status)."""
    row_height, label_width = 24, 110
    peak = max((n for _, n in rows), default=0) or 1
    scale = (width - label_width - 50) / peak
    parts = [
        format_html(
            '<text x="{}" y="{}" font-size="13" text-anchor="end">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="16" fill="{}"><title>{}: {}</title></rect>'
            '<text x="{}" y="{}" font-size="13">{}</text>',
            label_width - 6,
            i * row_height + 16,
            label.replace("_", " "),
            label_width,
            i * row_height + 4,
            _n(n * scale),
            BAR,
            label,
            n,
            _n(label_width + n * scale + 4),
            i * row_height + 16,
            n,
        )
        for i, (label, n) in enumerate(rows)
    ]
    height = max(len(rows), 1) * row_height + 6
    return format_html(
        '<svg role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%" '
        'style="max-width:{}px"><title>{}</title>{}</svg>',
        title,
        width,
        height,
        width,
        escape(title),
        _join(parts),
    )
