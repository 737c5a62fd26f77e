#!/usr/bin/env python3
"""Draws perf/bench.sh's results: one horizontal bar per row of
results.tsv, the ratio ours / libzmq (libzmq / ours for latencies and
instruction counts, so above 1 always means ours is faster) on a log axis
with a line at 1, the rounds' lowest and highest ratio as an error bar.
Bars going right (green) are where we lead, left (red) where we trail;
the unpinned rows (the headline) and the pinned rows get a panel each.

    python3 perf/plot.py [results.tsv [results.svg]]    # default: bench/

Without matplotlib (Debian: python3-matplotlib) it says so and exits 3.
"""

import csv
import math
import sys


def size_label(text):
    size = int(text)
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale}{unit}"
    return f"{size}B"


def number(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def read_rows(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for row in rows:
        row["label"] = f"{row['test']} {row['transport']} {size_label(row['size'])}"
        row["q"] = number(row["ratio"])
        low, high = number(row["ratio_low"]), number(row["ratio_high"])
        row["low"] = low if low is not None and row["q"] is not None and low <= row["q"] else row["q"]
        row["high"] = high if high is not None and row["q"] is not None and high >= row["q"] else row["q"]
    return rows


def main(argv):
    source = argv[1] if len(argv) > 1 else "bench/results.tsv"
    target = argv[2] if len(argv) > 2 else "bench/results.svg"
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        print("chart skipped: no matplotlib (apt-get install python3-matplotlib)", file=sys.stderr)
        return 3

    rows = read_rows(source)
    panels = [(name, [r for r in rows if r["pinning"] == name]) for name in ("unpinned", "pinned")]
    panels = [(name, part) for name, part in panels if part]
    if not panels:
        print(f"{source}: no rows", file=sys.stderr)
        return 1

    # Symmetric about 1 on the log axis, wide enough for every error bar.
    reach = 2.0
    for row in rows:
        for value in (row["low"], row["high"]):
            if value is not None:
                reach = max(reach, value * 1.25, 1.25 / value)
    reach = min(reach, 1000.0)

    heights = [len(part) for _, part in panels]
    figure, axes = plt.subplots(
        len(panels),
        1,
        figsize=(9, 1.4 + 0.24 * sum(heights) + 0.8 * len(panels)),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for axis, (name, part) in zip(axes[:, 0], panels):
        ys = list(range(len(part)))[::-1]  # first row on top
        for y, row in zip(ys, part):
            q = row["q"]
            if q is None:
                axis.text(1.0, y, "  n/a", va="center", ha="left", fontsize=7, color="grey")
                continue
            q = min(max(q, 1 / reach), reach)
            colour = "#2e8b57" if q >= 1 else "#c0392b"
            axis.barh(y, q - 1, left=1, height=0.7, color=colour, alpha=0.85)
            low = min(max(row["low"], 1 / reach), reach)
            high = min(max(row["high"], 1 / reach), reach)
            if high > low:
                axis.errorbar(q, y, xerr=[[q - low], [high - q]], fmt="none", ecolor="black",
                              elinewidth=0.8, capsize=2)
            axis.text(max(q, high) * 1.03 if q >= 1 else min(q, low) / 1.03, y, f"{row['q']:.2f}",
                      va="center", ha="left" if q >= 1 else "right", fontsize=7)
        # A faint rule between tests.
        for y, (row, above) in enumerate(zip(part[::-1], part[::-1][1:])):
            if row["test"] != above["test"] or row["transport"] != above["transport"]:
                axis.axhline(y + 0.5, color="grey", linewidth=0.4, alpha=0.5)
        axis.set_xscale("log")
        axis.set_xlim(1 / reach, reach)
        axis.axvline(1.0, color="black", linewidth=1)
        axis.set_yticks(ys)
        axis.set_yticklabels([row["label"] for row in part], fontsize=7)
        axis.set_ylim(-0.7, len(part) - 0.3)
        axis.grid(axis="x", which="both", linewidth=0.3, alpha=0.5)
        ticks = [2.0**k for k in range(-10, 11) if 1 / reach <= 2.0**k <= reach]
        axis.set_xticks(ticks)
        axis.set_xticklabels([f"{t:g}" for t in ticks])
        axis.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        for x, text, align in ((0.01, "\u2190 libzmq faster", "left"), (0.99, "ours faster \u2192", "right")):
            axis.text(x, 1.01, text, transform=axis.transAxes, ha=align, va="bottom", fontsize=7,
                      color="grey")
        title = "unpinned (headline)" if name == "unpinned" else "pinned (one CPU each side)"
        axis.set_title(f"this library vs the system libzmq: {title}", fontsize=9, loc="center")
        axis.tick_params(axis="x", labelsize=7)
    axes[-1, 0].set_xlabel(
        "ours / libzmq, median over runs (latency, instructions: libzmq / ours); "
        "above 1: ours faster; error bars: the rounds' lowest and highest ratio",
        fontsize=7,
    )
    figure.tight_layout()
    figure.savefig(target)  # the format from the extension: .svg, .png, .pdf
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
