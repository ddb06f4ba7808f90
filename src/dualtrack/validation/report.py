"""HTML and PDF validation reports, rendered from a :class:`ValidationRun` alone.

The report reads top-down for a senior manager: the gate decision and headline numbers,
then findings by severity with the controls they touch, then per-category detail with
charts. Charts are matplotlib figures inlined as SVG (text drawn as paths), the CSS is
inline, and nothing is fetched from outside, so the HTML works offline and WeasyPrint
turns the same document into a PDF. Chinese text needs a CJK font on the machine that
renders the PDF (Debian: ``fonts-noto-cjk`` or ``fonts-wqy-microhei``); the CSS lists them.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import jinja2

from dualtrack.validation.domain import ValidationRun, ValidationTestResult
from dualtrack.validation.stats import critical_z, wilson_interval

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CATEGORY_TITLES = {
    "performance": "Performance 模型表現",
    "stability": "Stability 穩定性",
    "fairness": "Fairness 公平性",
    "robustness": "Robustness 穩健性",
    "explainability": "Explainability 可解釋性",
    "data_quality": "Data quality 數據質素",
    "overfitting": "Overfitting 過度擬合",
}

_COLOURS = {"ref": "#7f8c8d", "cur": "#1f5aa6", "bad": "#c0392b", "ok": "#27ae60"}


def _svg(fig: Figure) -> str:
    import matplotlib

    buf = io.StringIO()
    # A fixed salt makes element ids (and so the whole report) reproducible; identical ids
    # across charts name identical markers, so sharing one HTML page is harmless.
    with matplotlib.rc_context({"svg.hashsalt": "dualtrack", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def _figure(width: float = 4.2, height: float = 3.0) -> Figure:
    # Imported here: matplotlib is only needed when a report is rendered.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    fig.set_layout_engine("constrained")
    return fig


def _roc_pr_chart(run: ValidationRun) -> str | None:
    results = {r.test_id: r for r in run.results}
    roc = results.get("performance.auc")
    pr = results.get("performance.auprc")
    if roc is None or "roc_curve" not in roc.details:
        return None
    fig = _figure(8.4, 3.2)
    ax1, ax2 = fig.subplots(1, 2)
    curve = roc.details["roc_curve"]
    ax1.plot(curve["fpr"], curve["tpr"], color=_COLOURS["cur"], lw=1.8)
    ax1.plot([0, 1], [0, 1], color=_COLOURS["ref"], lw=0.8, ls="--")
    ax1.set(xlabel="False positive rate", ylabel="True positive rate")
    ax1.set_title(f"ROC (AUC {roc.metrics.get('auc', 0):.3f})", fontsize=10)
    if pr is not None and "pr_curve" in pr.details:
        c = pr.details["pr_curve"]
        ax2.plot(c["recall"], c["precision"], color=_COLOURS["cur"], lw=1.8)
        base = pr.metrics.get("base_rate") or 0.0
        ax2.axhline(base, color=_COLOURS["ref"], lw=0.8, ls="--")
        ax2.set(xlabel="Recall", ylabel="Precision", ylim=(0, 1.02))
        ax2.set_title(f"Precision-recall (AUPRC {pr.metrics.get('auprc', 0):.3f})", fontsize=10)
    else:
        ax2.set_visible(False)
    return _svg(fig)


def _calibration_chart(result: ValidationTestResult) -> str | None:
    rows = result.details.get("calibration")
    if not rows:
        return None
    fig = _figure()
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color=_COLOURS["ref"], lw=0.8, ls="--")
    ax.plot(
        [r["mean_score"] for r in rows],
        [r["observed_rate"] for r in rows],
        marker="o",
        color=_COLOURS["cur"],
    )
    ax.set(xlabel="Mean predicted score", ylabel="Observed positive rate", xlim=(0, 1), ylim=(0, 1))
    ax.set_title(f"Calibration (ECE {result.metrics.get('ece', 0):.4f})", fontsize=10)
    return _svg(fig)


def _bar_chart(
    values: Mapping[str, Any], title: str, *, limit: float | None = None, top: int = 30
) -> str | None:
    items = [(k, v) for k, v in values.items() if isinstance(v, (int, float))]
    if not items:
        return None
    items = sorted(items, key=lambda kv: (-abs(kv[1]), kv[0]))[:top][::-1]
    fig = _figure(6.0, max(2.0, 0.18 * len(items) + 0.8))
    ax = fig.subplots()
    colours = [
        _COLOURS["bad"] if limit is not None and abs(v) > limit else _COLOURS["cur"]
        for _, v in items
    ]
    ax.barh([_ascii(k) for k, _ in items], [v for _, v in items], color=colours)
    if limit is not None:
        ax.axvline(limit, color=_COLOURS["bad"], lw=0.8, ls="--")
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title(title, fontsize=10)
    return _svg(fig)


def _score_psi_chart(result: ValidationTestResult) -> str | None:
    ref = result.details.get("reference_share")
    cur = result.details.get("current_share")
    if not ref or not cur:
        return None
    fig = _figure(6.0, 2.8)
    ax = fig.subplots()
    x = list(range(len(ref)))
    ax.bar([i - 0.2 for i in x], ref, width=0.4, color=_COLOURS["ref"], label="reference")
    ax.bar([i + 0.2 for i in x], cur, width=0.4, color=_COLOURS["cur"], label="current")
    ax.set_xticks(x, [str(i + 1) if i < len(x) - 1 else "NA" for i in x], fontsize=7)
    ax.set(xlabel="Score bin (reference deciles)", ylabel="Share")
    ax.legend(fontsize=7)
    ax.set_title(f"Score distribution (PSI {result.metrics.get('psi', 0):.4f})", fontsize=10)
    return _svg(fig)


CATEGORY_NOTES = {
    "fairness": (
        "Evidence rule: a gap between two groups fails a fairness test only when its point "
        "estimate is beyond the limit and its confidence interval (Newcombe for differences, "
        "Katz for ratios; the level in the configuration, Bonferroni-adjusted over the pairs "
        "of groups) excludes parity. Rates resting on fewer than min_group_size cases "
        "(rows; frauds for TPR and FNR; genuine rows for FPR) are not compared, and are named "
        "in the result, as are material gaps the data cannot yet tell from parity. Bars show "
        "each group's selection rate with its 95% Wilson interval."
    ),
}


def _fairness_chart(result: ValidationTestResult) -> str | None:
    attrs = result.details.get("attributes") or {}
    panels = [(name, a.get("groups") or []) for name, a in sorted(attrs.items()) if a.get("groups")]
    if not panels:
        return None
    fig = _figure(8.4, 1.9 * ((len(panels) + 1) // 2) + 0.4)
    axes = fig.subplots((len(panels) + 1) // 2, 2, squeeze=False).ravel()
    for ax, (name, groups) in zip(axes, panels, strict=False):
        labels = [_ascii(g["group"]) for g in groups]
        rates = [g["selection_rate"] or 0.0 for g in groups]
        z = critical_z(0.95)
        bounds = [
            wilson_interval(r * g["n"], g["n"], z) for r, g in zip(rates, groups, strict=True)
        ]
        err = [
            [max(r - lo, 0.0) for r, (lo, _) in zip(rates, bounds, strict=True)],
            [max(hi - r, 0.0) for r, (_, hi) in zip(rates, bounds, strict=True)],
        ]
        ax.barh(labels, rates, color=_COLOURS["cur"], xerr=err, ecolor="#333333", capsize=2)
        ax.set_title(f"{_ascii(name)}: selection rate by group", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    return _svg(fig)


def _ascii(text: str) -> str:
    """Chart labels are drawn with matplotlib's bundled font, which lacks CJK glyphs."""
    return text if text.isascii() else text.encode("ascii", "replace").decode()


def _charts(run: ValidationRun) -> dict[str, list[str]]:
    charts: dict[str, list[str]] = {}

    def add(category: str, svg: str | None) -> None:
        if svg:
            charts.setdefault(category, []).append(svg)

    add("performance", _roc_pr_chart(run))
    for r in run.results:
        if r.status == "skipped":
            continue
        if r.test_id == "performance.calibration":
            add("performance", _calibration_chart(r))
        elif r.test_id == "stability.psi_score":
            add("stability", _score_psi_chart(r))
        elif r.test_id == "stability.psi_features" and "psi" in r.details:
            add(
                "stability",
                _bar_chart(r.details["psi"], "Feature PSI", limit=r.config.get("max_psi")),
            )
        elif r.test_id == "fairness.demographic_parity":
            add("fairness", _fairness_chart(r))
        elif r.test_id == "explainability.importance" and "importance" in r.details:
            add(
                "explainability",
                _bar_chart(r.details["importance"], "Permutation importance (mean |score change|)"),
            )
    return charts


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "n/a" if value is None else str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dualtrack.validation", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["fmt"] = _fmt
    return env


def render_html(run: ValidationRun, *, title: str = "Model validation report") -> str:
    """A self-contained HTML report (inline CSS and SVG, no external assets)."""
    charts = _charts(run)
    by_category: dict[str, list[ValidationTestResult]] = {}
    for r in run.results:
        by_category.setdefault(r.category, []).append(r)
    sections = [
        {
            "key": key,
            "title": CATEGORY_TITLES.get(key, key),
            "results": results,
            "charts": charts.get(key, []),
            "note": CATEGORY_NOTES.get(key, ""),
        }
        for key, results in by_category.items()
    ]
    html = (
        _environment()
        .get_template("report.html")
        .render(
            title=title,
            run=run,
            sections=sections,
            findings=run.findings,
            summary=run.summary,
        )
    )
    return _strip_svg_comments(html)


def _strip_svg_comments(html: str) -> str:
    return re.sub(r"<!--.*?-->", "", html, flags=re.DOTALL)


def render_pdf(
    run: ValidationRun, *, title: str = "Model validation report", html: str | None = None
) -> bytes:
    """The same report as PDF bytes, via WeasyPrint (nothing outside the document is fetched).

    Pass ``html`` (the output of :func:`render_html` for this run) to skip drawing the
    charts a second time.
    """
    import weasyprint

    if html is None:
        html = render_html(run, title=title)

    def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise ValueError("external resources are not allowed in validation reports")

    document = weasyprint.HTML(string=html, url_fetcher=_no_fetch)
    pdf: bytes = document.write_pdf()
    return pdf


def report_filename(run: ValidationRun, suffix: str) -> str:
    """A safe download name: plan, first 12 hex of the artifact hash, start time."""
    stamp = re.sub(r"[^0-9T]", "", run.started_at)[:15]
    return f"validation-{run.plan_id}-{run.model_artifact_sha256[:12]}-{stamp}.{suffix}"
