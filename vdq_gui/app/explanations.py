"""The words of the explanation panel: the bound as a formula, each of its terms in plain
words, and one paragraph per plot saying what to look at *now* (it depends on the
dequantizer, on compare mode and on how far training has got).

Plain strings and functions, no Qt (the panel, ``vdq_gui.app.explain_panel``, renders
them), so the texts are testable on their own.  Terms and plots are named by keys:
a link ``term:KEY`` in the formula, ``plot:KEY`` in a plot's heading; the window's plots
know which of their items show each term (``PlotArea.highlight``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# The plots, by key, with the titles their panels show.
PLOT_TITLES = {"density": "Data and density", "images": "Images", "noise": "Noise per bin",
               "loss": "Loss", "detail": "Selected bin", "ladder": "Bound ladder"}

# Where each term of the bound is drawn, in the order the highlight visits them.
TERM_PLOTS = {
    "bound": ("loss",),
    "log_q": ("density", "images"),
    "log_r": ("noise", "detail"),
    "gap": ("detail", "noise", "loss"),
    "exact": ("loss", "density"),
    "iw": ("loss", "ladder"),
}
# The colours of the curves that draw each term; None: the text colour (the exact curve is
# black on the light theme; a dark theme draws it light).  Other text has no colour of its
# own, so that it reads on any background.
TERM_COLOURS = {"bound": "#E69F00", "log_q": "#0072B2", "log_r": "#E69F00", "gap": "#CC79A7",
                "exact": None, "iw": "#009E73"}
INK = "#000000"
WJ = "\u2060"  # word joiner: a narrow panel must not break "r(u|x)" at its bar

TERM_WORDS = {
    "bound": ("the bound (ELBO)",
              "What training maximises: the average over noise u drawn from r of log q(x+u) − log r(u|x). "
              "It is never above log P(x). The loss curves show it negated, in bits per dimension: "
              "lower is better."),
    "log_q": ("log q(x+u)",
              "How likely the continuous model q finds the dequantized value x+u: the integer x plus the "
              "noise u. Drawn as the blue density curve (images: the model's samples)."),
    "log_r": ("−log r(u|x)",
              "The surprise of the noise itself. It rewards spreading u over the whole bin; for uniform "
              "noise it is 0. Drawn as the noise heatmap r(u|x) and the orange curve of the selected bin."),
    "gap": ("the gap KL(r ‖ q(u|x))",
            "What the bound gives away: zero exactly when r(u|x) equals the model's own posterior "
            "q(u|x) = q(x+u) / P(x). Drawn in the selected bin (orange r against green q(u|x)), as the "
            "bars under the heatmap and as the purple gap curve of the loss."),
    "exact": ("the exact −log P(x)",
              "The true code length of x under the model, with P(x) = ∫ q(x+u) du the mass q puts in the "
              "bin (1-D data only, from q's CDF). The black dashed loss curve; the dots in the density plot."),
    "iw": ("the importance-weighted (IW) bound",
           "The same bound with M draws of u averaged inside the log: log (1/M) Σ q(x+u)/r(u|x). "
           "Tighter than the ELBO, it reaches log P(x) as M grows. The green loss curve; the bound ladder."),
}


def as_is(colour: str, fill: bool = False) -> str:
    """The default ``paint``: colours as written (the light theme's)."""
    return colour


def term_link(key: str, text: str, ink: str = INK, paint=as_is) -> str:
    """``paint(colour, fill)``: the colour a theme shows for a light one (the panel passes
    ``style.themed``: the dark theme's blue is lighter, the light one is too dark there)."""
    colour = paint(TERM_COLOURS[key]) if TERM_COLOURS[key] else ink
    # nowrap: a narrow panel breaks the formula between terms, never inside one.
    return (f"<a href='term:{key}' style='color:{colour}; text-decoration:none; white-space:nowrap'>"
            f"<b>{text}</b></a>")


def formula_html(kind: str = "1d", ink: str = INK, paint=as_is) -> str:
    """The bound, its gap and the IW bound, each term a link (hover: highlight its plot)."""
    def link(key: str, text: str) -> str:
        return term_link(key, text, ink, paint)

    log_p = link("exact", "log P(x)")
    lines = [
        f"{log_p} = log ∫<sub>0</sub><sup>1</sup> q(x+u) du",
        f"&nbsp;&nbsp;&nbsp;≥ {link('bound', 'E<sub>u~r</sub>[')} {link('log_q', 'log q(x+u)')} "
        f"{link('log_r', f'−&nbsp;log&nbsp;r(u{WJ}|{WJ}x)')} {link('bound', ']')}",
        f"{log_p} − ELBO = {link('gap', f'KL(r(u{WJ}|{WJ}x)&nbsp;‖&nbsp;q(u{WJ}|{WJ}x))')}",
        f"ELBO ≤ {link('iw', 'IW<sub>M</sub>')} ≤ {log_p}",
    ]
    note = "" if kind == "1d" else ("<p><i>Images: P(x) has no closed form, so there is no "
                                    "exact curve; the IW bound is the tightest figure.</i></p>")
    return "<p style='line-height:150%'>" + "<br>".join(lines) + "</p>" + note


def terms_html(kind: str = "1d", ink: str = INK, paint=as_is) -> str:
    """Each term in plain words; hovering or clicking one highlights where it is drawn."""
    items = []
    for key, (name, words) in TERM_WORDS.items():
        if key == "exact" and kind != "1d":
            words += " Not available for images."
        items.append(f"<p>{term_link(key, name, ink, paint)}: {words}</p>")
    return ("<p><i>Hover or click a coloured term to see where it is drawn.</i></p>"
            + "".join(items))


# == the state the per-plot notes depend on ===============================================
EARLY_STEPS = 150  # before this the model has barely moved: notes say what is coming
SPIKE_RATIO = 2.0  # q's peak this many times the tallest bar: spikes have formed (a fit that follows the bars: about 1)


@dataclass(frozen=True)
class ViewState:
    """What the notes need to know about the moment on screen."""

    kind: str = "1d"
    runs: tuple[str, ...] = ("variational",)
    step: int = 0
    selected_bin: int = 0
    bin_gap: float | None = None  # bits, in the selected bin, of the first run that is a bound
    mean_gap: float | None = None  # bits/dim, latest evaluation, same run
    spike_ratio: float | None = None  # q's peak / the tallest data bar (dequantizer none)
    live: bool = True

    @property
    def compare(self) -> bool:
        return len(self.runs) > 1

    @property
    def early(self) -> bool:
        return self.step < EARLY_STEPS

    @property
    def dequantizer(self) -> str:
        return self.runs[0]


def _finite(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def state_of(snapshots, selected_bin: int = 0, live: bool = True) -> ViewState:
    """The ViewState of one moment (a tuple of Snapshots, one per run)."""
    first = snapshots[0]
    bound = next((s for s in snapshots if s.is_bound), None)
    level = min(max(int(selected_bin), 0), first.levels - 1)
    bin_gap = mean_gap = None
    if bound is not None:
        if bound.gap_per_bin is not None and level < bound.gap_per_bin.size:
            bin_gap = _finite(bound.gap_per_bin[level])
        mean_gap = _finite(bound.metrics.get("gap_bpd"))
    spike_ratio = None
    unbound = next((s for s in snapshots if not s.is_bound), None)
    if unbound is not None and unbound.q_density is not None and unbound.data_pmf.size:
        peak = np.nanmax(unbound.q_density) if np.isfinite(unbound.q_density).any() else float("nan")
        spike_ratio = _finite(peak / max(float(np.max(unbound.data_pmf)), 1e-12))
    return ViewState(kind=first.kind, runs=tuple(s.dequantizer for s in snapshots), step=int(first.step),
                     selected_bin=level, bin_gap=bin_gap, mean_gap=mean_gap, spike_ratio=spike_ratio,
                     live=live)


def bits(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f} bits" if abs(value) >= 0.01 else f"{value:.1e} bits"


# == one paragraph per plot ================================================================
def plot_keys(kind: str) -> tuple[str, ...]:
    """The plots on screen for this kind of data, in reading order."""
    if kind == "1d":
        return ("density", "noise", "loss", "detail", "ladder")
    return ("images", "noise", "loss", "detail")


def plot_notes(state: ViewState) -> list[tuple[str, str, str]]:
    """[(plot key, title, paragraph)], one per plot on screen: what to look at now."""
    writers = {"density": _density, "images": _images, "noise": _noise, "loss": _loss,
               "detail": _detail, "ladder": _ladder}
    return [(key, PLOT_TITLES[key], writers[key](state)) for key in plot_keys(state.kind)]


def _density(s: ViewState) -> str:
    if s.compare:
        text = ("One q curve and one set of P(x) dots per run, in the run's colour, over the same bars. ")
        if "none" in s.runs:
            text += "none puts narrow spikes at the integer points; "
        if "uniform" in s.runs:
            text += "uniform's target, x+u, has the flat steps of the bars for a density; "
        if any(r in s.runs for r in ("variational", "logit-normal")):
            text += "learned noise lets q stay smooth inside the bins. "
        return text + "All of them try to match the bars with their dots."
    name = s.dequantizer
    if name == "none":
        text = ("No noise: q only ever sees the integer points, the left edges of the bars. "
                "A density can be arbitrarily high at a point, so watch the blue curve grow spikes there; "
                "the dots P(x) (q's mass in each bin) need not follow.")
        if s.spike_ratio is not None and s.spike_ratio >= SPIKE_RATIO:
            text += f" Now: q peaks at {s.spike_ratio:.0f}× the tallest bar: the spikes have formed."
        elif s.early:
            text += " Early on q is still smooth: play slowly and watch it sharpen."
        return text
    if name == "uniform":
        return ("Uniform noise spreads every value evenly over its bin, so x+u, what q is trained on, has the "
                "bars' flat steps for a density. The smooth blue curve can only come close: where it tilts "
                "inside a bin (on the slopes) the bound pays a gap. The dots P(x) still match the bars.")
    return ("r puts the noise where q has its mass, so q need not be flat inside a bin: it stays smooth, "
            "without steps, while the dots P(x) still match the bars.")


def _images(s: ViewState) -> str:
    text = ("Left: data digits. Middle: samples from the model: noise at first, strokes later. "
            "Right: what the flow is trained on, (x+u)/K, every pixel plus its noise u.")
    if s.compare:
        text += " One row of grids per run."
    elif s.dequantizer == "uniform":
        text += " With uniform noise every pixel gets the same flat jitter."
    elif s.dequantizer == "none":
        text += " Without noise the flow sees exact grey levels and can put spikes on them."
    return text + (" Early: the samples are still noise." if s.early else "")


def _noise(s: ViewState) -> str:
    where = "pixel value" if s.kind == "images" else "bin"
    if s.compare:
        return (f"One heatmap per run, on one colour scale: r(u|x) for every {where} (across) and noise u "
                "(up). Compare a flat band (uniform) with columns that bend (learned r); none has all its "
                "mass in the bottom row.")
    name = s.dequantizer
    if name == "none":
        return ("All the noise mass is at u = 0: one bright bottom row and nothing above. With no noise there "
                "is no bound, so no gap bars.")
    if name == "uniform":
        text = f"r(u|x) = 1 in every {where}: one flat colour, and it never changes."
        if s.kind == "1d":
            text += (" The bars below are each bin's gap: largest where q changes fast inside a bin, on the "
                     "slopes of the data.")
        return text
    text = (f"r is learned: watch each column bend towards the model's posterior q(u|x), brighter where q "
            f"puts the {where}'s mass (high u on a rising slope, low u on a falling one).")
    if s.kind == "1d":
        text += " The gap bars below shrink as it does; grey bars are bins the training data never shows."
    return text + (" Early: r is still nearly flat." if s.early else "")


def _loss(s: ViewState) -> str:
    if s.compare:
        text = ("Colour = run, line style = metric. The read-out above the plot gives each run minus uniform "
                "(or the first bound); lower is better.")
        if "none" in s.runs:
            text += " none's curve is not a bound and can fall below everyone's exact value."
        return text
    name = s.dequantizer
    if name == "none":
        return ("This “loss” is −log q at the integer points: NOT a bound. It can fall below the black exact "
                "−log P(x), and keep falling while the exact value gets worse.")
    if s.kind == "images":
        return ("The bound in bits per pixel, on training and validation data, and the tighter IW bound. "
                "There is no exact value for images.")
    text = ("bound ≥ IW bound ≥ exact −log P(x). The purple curve (right axis) is their difference, the gap "
            "= average KL(r ‖ q(u|x)).")
    if name == "uniform":
        text += (" With fixed uniform noise the gap levels off: it is the price of q's tilt inside the bins, "
                 "which a flat r cannot follow.")
    else:
        text += " With learned noise the gap keeps shrinking as r follows q."
    if s.mean_gap is not None:
        text += f" Now: gap {bits(s.mean_gap)}/dim."
    return text


def _detail(s: ViewState) -> str:
    if s.kind == "images":
        return (f"Pixel value {s.selected_bin}: the histogram of the noise u added to pixels of this value, "
                "against the flat uniform density.")
    if s.compare:
        return ("Each run's r(u|x) (solid) and its own posterior q(u|x) (dashed) in this bin; the gap of each "
                "is the KL between its pair, written on the plot.")
    name = s.dequantizer
    if name == "none":
        return "r is a point mass at u = 0: no noise, no bound, no gap."
    if name == "uniform":
        text = ("r is the flat line at 1; green is q(u|x), how the model spreads the bin's mass. The gap is "
                "how far green is from flat. Click a bin on a slope to see a large one.")
    else:
        text = "Orange r(u|x) learns to follow green q(u|x); the gap falls as they meet."
    if s.bin_gap is not None:
        text += f" Now, bin {s.selected_bin}: gap {bits(s.bin_gap)}."
    return text


def _ladder(s: ViewState) -> str:
    if all(name == "none" for name in s.runs):
        return "No ladder: without noise there is no bound."
    return ("exact ≤ IW-64 ≤ IW-16 ≤ IW-4 ≤ ELBO, drawn as what each bound gives away above the exact value: "
            "more samples M close the gap. Learned noise makes the whole ladder short.")


LESSON_BACKGROUND, LESSON_INK = "#fff4d6", "#3d2f00"  # the lesson caption's colours (light theme)


def notes_html(state: ViewState, lesson: str = "", caption: str = "", paint=as_is) -> str:
    """The "what to look at now" part of the panel: the lesson (title and caption) if one
    is on, then one paragraph per plot (its title links to the plot)."""
    parts = []
    if lesson:
        words = f" — {caption}" if caption else ""
        parts.append(f"<p style='background:{paint(LESSON_BACKGROUND, True)}; color:{paint(LESSON_INK)}'>"
                     f"<b>Lesson:</b> {lesson}{words}</p>")
    moment = f"step {state.step:,}" + ("" if state.live else " (timeline)")
    parts.append(f"<p><b>What to look at now</b> · <i>{', '.join(state.runs)} · {moment}</i></p>")
    for key, title, text in plot_notes(state):
        parts.append(f"<p><a href='plot:{key}' style='text-decoration:none'><b>{title}</b></a>: {text}</p>")
    return "".join(parts)
