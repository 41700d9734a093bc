"""The benchmark report's charts as plain SVG, made here (no plotting library, no browser):

ratios.svg   one bar per workload and peer: the peer's median time ÷ kimi-media's, on a log scale
             (right of 1: kimi-media is faster), grouped by workload.
scaling.svg  time and peak memory against image size, video length and file count (log–log), one
             line per tool.
"""
import math, os

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'


def _escape(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text(x, y, text, size=12, anchor="start", weight="normal", color="#222", rotate=None):
    turn = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate is not None else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="{color}" {FONT}{turn}>{_escape(text)}</text>')


def _ticks(low, high):
    """Round ticks (1, 2, 5 × 10^k) covering [low, high] on a log scale."""
    ticks = []
    k = math.floor(math.log10(low))
    while 10 ** k <= high * 1.0001:
        for m in (1, 2, 5):
            v = m * 10 ** k
            if low / 1.0001 <= v <= high * 1.0001:
                ticks.append(v)
        k += 1
    return ticks


def _label(v):
    if v >= 1000:
        return f"{v:,.0f}"
    return f"{v:g}"


def ratio_chart(workloads, path):
    rows = []  # (group label or None, bar label, ratio, color index)
    peers = []
    for w in workloads:
        bars = [r for r in w["tools"] if r["role"] == "peer"]
        if not bars:
            continue
        rows.append((w["title"], None, None, None))
        for r in bars:
            if r["tool"] not in peers:
                peers.append(r["tool"])
            rows.append((None, r["tool"], r["ratio"], peers.index(r["tool"]) % len(COLORS)))
    if not rows:
        return
    low = min(0.5, min(r[2] for r in rows if r[2] is not None) / 1.2)
    high = max(2.0, max(r[2] for r in rows if r[2] is not None) * 1.2)
    left, width, row_h, top = 300, 520, 16, 58
    height = top + row_h * len(rows) + 40
    scale = lambda v: left + width * (math.log(v) - math.log(low)) / (math.log(high) - math.log(low))
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 40}" height="{height}" viewBox="0 0 {left + width + 40} {height}">',
           '<rect width="100%" height="100%" fill="white"/>',
           _text(12, 22, "Peer time ÷ kimi-media time, default options (log scale; right of 1: kimi-media is faster)", 14, weight="bold"),
           _text(12, 40, "median of interleaved runs on one machine; one bar per peer", 11, color="#555")]
    for tick in _ticks(low, high):
        x = scale(tick)
        svg.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 34}" stroke="{"#333" if tick == 1 else "#ddd"}" '
                   f'stroke-width="{1.5 if tick == 1 else 1}"/>')
        svg.append(_text(x, height - 20, _label(tick) + "×", 11, "middle"))
    y = top
    for group, label, ratio, color in rows:
        if group is not None:
            svg.append(_text(12, y + 12, group if len(group) < 120 else group[:117] + "…", 11, weight="bold"))
        else:
            x0, x1 = scale(1), scale(ratio)
            svg.append(_text(left - 8, y + 12, label if len(label) < 44 else label[:41] + "…", 11, "end"))
            svg.append(f'<rect x="{min(x0, x1):.1f}" y="{y + 2}" width="{abs(x1 - x0):.1f}" height="{row_h - 4}" fill="{COLORS[color]}"/>')
            svg.append(_text(max(x0, x1) + 4, y + 12, f"{ratio:.2f}", 10, color="#333"))
        y += row_h
    svg.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(svg) + "\n")


def _panel(svg, x0, y0, w, h, title, xlabel, ylabel, series):
    """A log–log line panel at (x0, y0): series is {name: [(x, y), ...]} with a fixed colour per name."""
    xs = [x for points in series.values() for x, _ in points]
    ys = [y for points in series.values() for _, y in points if y > 0]
    if not xs or not ys:
        return
    xlow, xhigh = min(xs), max(xs)
    ylow, yhigh = min(ys) / 1.5, max(ys) * 1.5
    if xlow == xhigh:
        xhigh = xlow * 10
    px = lambda v: x0 + w * (math.log(v) - math.log(xlow)) / (math.log(xhigh) - math.log(xlow))
    py = lambda v: y0 + h - h * (math.log(v) - math.log(ylow)) / (math.log(yhigh) - math.log(ylow))
    svg.append(_text(x0, y0 - 10, title, 12, weight="bold"))
    svg.append(f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#999"/>')
    for tick in _ticks(ylow, yhigh):
        svg.append(f'<line x1="{x0}" y1="{py(tick):.1f}" x2="{x0 + w}" y2="{py(tick):.1f}" stroke="#eee"/>')
        svg.append(_text(x0 - 5, py(tick) + 4, _label(tick), 10, "end"))
    for tick in sorted(set(xs)):
        svg.append(f'<line x1="{px(tick):.1f}" y1="{y0}" x2="{px(tick):.1f}" y2="{y0 + h}" stroke="#eee"/>')
        svg.append(_text(px(tick), y0 + h + 14, _label(tick), 10, "middle"))
    svg.append(_text(x0 + w / 2, y0 + h + 30, xlabel, 11, "middle"))
    svg.append(_text(x0 - 42, y0 + h / 2, ylabel, 11, "middle", rotate=-90))
    for i, (name, points) in enumerate(series.items()):
        color = COLORS[i % len(COLORS)]
        points = sorted((x, y) for x, y in points if y > 0)
        svg.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="' +
                   " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in points) + '"/>')
        for x, y in points:
            svg.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}"/>')


def scaling_chart(scaling, path):
    axes = list(scaling.items())
    if not axes:
        return
    pw, ph, gap_x, gap_y, left = 300, 200, 90, 90, 70
    width = left + 2 * pw + gap_x + 40
    names = []
    for _, points in axes:
        for point in points:
            for r in point["tools"]:
                if r["tool"] not in names:
                    names.append(r["tool"])
    legend, x, y = [], 12, 34
    for i, name in enumerate(names):  # one legend for all panels, colours by tool name, wrapped to the width
        span = 30 + 7 * len(name)
        if x + span > width - 12:
            x, y = 12, y + 18
        legend.append(f'<rect x="{x}" y="{y}" width="14" height="10" fill="{COLORS[i % len(COLORS)]}"/>')
        legend.append(_text(x + 18, y + 9, name, 11))
        x += span
    top = y + 40
    height = top + len(axes) * (ph + gap_y) + 20
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
           '<rect width="100%" height="100%" fill="white"/>',
           _text(12, 22, "Scaling: wall time and peak memory (log–log), default options", 14, weight="bold"), *legend]
    for row, (axis, points) in enumerate(axes):
        y0 = top + row * (ph + gap_y)
        for col, (key, ylabel) in enumerate((("median", "seconds"), ("peakMiB", "peak MiB"))):
            series = {name: [(p["x"], r[key]) for p in points for r in p["tools"] if r["tool"] == name] for name in names}
            # keep each tool's colour in every panel: absent tools get an empty series
            ordered = {name: series.get(name, []) for name in names}
            _panel(svg, left + col * (pw + gap_x), y0, pw, ph, f"{ylabel} against {axis}", axis, ylabel, ordered)
    svg.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(svg) + "\n")


def write_all(data, folder):
    os.makedirs(folder, exist_ok=True)
    ratio_chart(data["workloads"], os.path.join(folder, "ratios.svg"))
    scaling_chart(data.get("scaling", {}), os.path.join(folder, "scaling.svg"))
