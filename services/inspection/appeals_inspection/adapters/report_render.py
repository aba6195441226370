"""The weekly report as a readable HTML page with server-side charts (inline SVG, so the
page needs no network when viewed) and as CSV."""

from __future__ import annotations

import csv
import io

import jinja2

from appeals_inspection.domain.console import Texts
from appeals_inspection.domain.figures import WeeklyReport

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("appeals_inspection", "templates"),
                          autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined)


def _bar_svg(labels: list[str], values: list[float], *, title: str, percent: bool = False) -> str:
    # The object API, not pyplot: no global state, so rendering in a worker thread is safe.
    from matplotlib.figure import Figure

    height = max(1.6, 0.38 * len(labels) + 0.8)
    fig = Figure(figsize=(7.5, height))
    ax = fig.subplots()
    bars = ax.barh(labels[::-1], values[::-1], color="#2f6f9f")
    ax.bar_label(bars, labels=[f"{v:.0%}" if percent else f"{v:g}" for v in values[::-1]], padding=3,
                 fontsize=8)
    ax.set_title(title, fontsize=10, loc="left")
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    if percent:
        ax.set_xlim(0, 1.15)
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg")
    svg = out.getvalue()
    return svg[svg.index("<svg"):]


def charts(report: WeeklyReport, names: dict[str, dict[str, str]], texts: Texts | None = None) -> dict[str, str]:
    """The report's charts as inline SVG, titled in ``texts``' language (English without)."""
    t = texts or Texts("en")
    received = report["received"]
    channels = sorted(received["by_channel"].items(), key=lambda kv: -kv[1])
    shares = [(c["executor_name"], c["on_time_share"]) for c in report["scorecards"] if c["on_time_share"] is not None]
    out = {}
    if channels:
        out["channels"] = _bar_svg([names["channels"].get(c, c) for c, _ in channels], [n for _, n in channels],
                                   title=t("by_channel_chart"))
    if report["top_categories"]:
        out["categories"] = _bar_svg([c["name"] for c in report["top_categories"]],
                                     [c["count"] for c in report["top_categories"]], title=t("top_categories"))
    if shares:
        out["timeliness"] = _bar_svg([name for name, _ in shares], [share for _, share in shares],
                                     title=t("timeliness_chart"), percent=True)
    return out


def html(report: WeeklyReport, names: dict[str, dict[str, str]], language: str = "en") -> str:
    """The report as a page of its own, in ``language`` (the console shows the same body in
    its frame, in the user's language)."""
    texts = Texts(language)
    return _ENV.get_template("weekly_report.html.j2").render(r=report, names=names, t=texts,
                                                             charts=charts(report, names, texts))


def csv_text(report: WeeklyReport) -> str:
    """One table with a ``section`` column: received counts, top 5, growth, scorecards, overdue."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["section", "key", "name", "value", "assigned", "answered", "answered_on_time", "on_time_share",
                "overdue_now", "returned", "median_hours_to_answer", "forwarded_late", "reopened_by_citizens",
                "mean_rating", "re_appeals"])
    received = report["received"]
    w.writerow(["received", "total", "", received["total"]])
    for section, counts in (("by_channel", received["by_channel"]), ("by_kind", received["by_kind"]),
                            ("by_category", received["by_category"])):
        for key, n in sorted(counts.items()):
            w.writerow([f"received_{section}", key, "", n])
    for top in report["top_categories"]:
        w.writerow(["top_categories", top["category"], top["name"], top["count"]])
    w.writerow(["year_earlier", report["year_earlier"]["week"], "", report["year_earlier"]["received"]])
    w.writerow(["growth_percent", "", "", "" if report["growth_percent"] is None else report["growth_percent"]])
    w.writerow(["merged", "", "", report["merged"]])
    for given in report["consultations"]:
        w.writerow(["consultations", f'{given["topic"]}/{given["operator_id"]}', given["operator_name"] or "",
                    given["answered"]])
    for c in report["scorecards"]:
        share = "" if c["on_time_share"] is None else round(c["on_time_share"], 4)
        median = "" if c["median_hours_to_answer"] is None else c["median_hours_to_answer"]
        w.writerow(["scorecard", c["executor_code"], c["executor_name"], "", c["assigned"], c["answered"],
                    c["answered_on_time"], share, c["overdue_now"], c["returned"], median, c["forwarded_late"],
                    c["reopened_by_citizens"], "" if c["mean_rating"] is None else c["mean_rating"], c["re_appeals"]])
    for o in report["longest_overdue"]:
        w.writerow(["overdue", o["registration_number"], o["executor_code"], o["days_overdue"]])
    return out.getvalue()


__all__ = ["charts", "csv_text", "html"]
