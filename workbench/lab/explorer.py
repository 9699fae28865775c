"""The explorer's form (notebook 05, and ``make explorer`` through Voilà): needs in, a recommendation out, live.

The form holds one widget per field of ``advice.Needs``, so every input the recommender
takes can be set, and a test fails when ``Needs`` grows a field the form lacks. Any change
re-runs ``advice.recommend`` on the loaded rows (pure and cheap: no disk, no run) and redraws
the options map (a PNG in an Image widget, so it needs no kernel to test). Measuring
new data is a separate box behind a button: it needs root (loop disks), the button is
disabled without it, and disabled while a measurement runs.

A limit left blank is no limit. A value that does not parse leaves the last recommendation
in place and says which field is wrong, in one line.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets

from ..advice import Needs, Recommendation, recommend
from ..advice.recommend import PRIORITIES
from ..errors import UsageError, WorkbenchError
from ..report.notebook_plots import options_map
from ..units import format_bytes, parse_size
from ..workload.profile import known_profiles
from .results import Results, can_measure, measure_workload

#: Every widget's label at its natural width (ipywidgets cuts a description at 90 px otherwise).
LABEL = {"description_width": "initial"}
WIDE = widgets.Layout(width="32em")
ANY_PROFILE = "every profile"
#: The class names the page's parts carry, for a browser to find them.
RECOMMENDATION_CLASS = "workbench-recommendation"
FORM_CLASS = "workbench-needs"
OUTCOME_COLUMNS = ["strategy", "scenario", "answered", "recovered", "rpo_hours", "rto_s", "space_bytes", "why"]

Measure = Callable[..., Results]


def _text(value: float | None, description: str, placeholder: str = "no limit") -> Any:
    return widgets.Text(value="" if value is None else f"{value:g}", placeholder=placeholder,
                        description=description, style=LABEL, layout=WIDE)


def _limit(text: str, field: str) -> float | None:
    """A blank limit is none; anything else is a number, or a UsageError naming the field."""
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"{field}: '{text}' is not a number (leave it blank for no limit)") from None


def _size(text: str, field: str) -> int | None:
    if not text.strip():
        return None
    try:
        return parse_size(text)
    except (WorkbenchError, ValueError):
        raise UsageError(f"{field}: '{text}' is not a size such as 2G or 512M (blank: no limit)") from None


class Explorer:
    """The form, the recommendation it gives, and the measure box; ``view()`` is what a notebook shows."""

    def __init__(self, results: Results, needs: Needs, *, profile: str = "classroom", data_size: str = "8M",
                 change_factor: float = 1.0, measure: Measure = measure_workload) -> None:
        self.results = results
        self._measure = measure
        self.form: dict[str, Any] = {
            "threats": widgets.SelectMultiple(description="threats you fear", style=LABEL, layout=WIDE),
            "max_rpo_hours": _text(needs.max_rpo_hours, "most work you can lose, RPO (hours)"),
            "max_rto_s": _text(needs.max_rto_s, "longest you can wait, RTO (seconds)"),
            "max_space_ratio": _text(needs.max_space_ratio, "space budget (times the data)"),
            "max_space_bytes": widgets.Text(value=format_bytes(needs.max_space_bytes) if needs.max_space_bytes else "",
                                            placeholder="no limit", description="space budget (bytes: 2G, 512M)",
                                            style=LABEL, layout=WIDE),
            "max_lost_share": widgets.FloatSlider(value=needs.max_lost_share, min=0, max=1, step=0.05,
                                                  readout_format=".0%", continuous_update=False, style=LABEL,
                                                  description="share of the damage that may stay lost",
                                                  layout=WIDE),
            "prefer": widgets.Dropdown(options=[(words, key) for key, words in PRIORITIES.items()],
                                       value=needs.prefer, description="among the fits, put first", style=LABEL,
                                       layout=WIDE),
            "profile": widgets.Dropdown(description="only the results of the profile", style=LABEL, layout=WIDE),
        }
        self.recommendation = widgets.HTML().add_class(RECOMMENDATION_CLASS)
        self.problem = widgets.HTML()
        self.details = widgets.HTML()
        self.figure = widgets.Image(format="png", layout=widgets.Layout(width="640px", max_width="100%"))
        self.source = widgets.HTML()
        self._offer(results, needs.threats, needs.profile)
        self.workload = {
            "profile": widgets.Dropdown(options=known_profiles(), value=profile, description="profile",
                                        style=LABEL, layout=WIDE),
            "data_size": widgets.Text(value=data_size, description="data size", style=LABEL, layout=WIDE),
            "change_factor": widgets.FloatSlider(value=change_factor, min=0.25, max=4, step=0.25, style=LABEL,
                                                 description="daily change, times the profile's", layout=WIDE),
        }
        self.measure_button = widgets.Button(description="Measure these threats", button_style="warning",
                                             icon="play", layout=widgets.Layout(width="16em"))
        self.measure_status = widgets.HTML()
        self.measure_button.on_click(self.measure)
        self._allow_measuring()
        self.advice: Recommendation = recommend(results.rows, self.needs())
        for widget in self.form.values():
            widget.observe(self.update, names="value")
        self.update()

    def _offer(self, results: Results, threats: Sequence[str], profile: str | None) -> None:
        """The choices the loaded rows allow: the scenarios and profiles they measured."""
        measured = sorted(results.rows["scenario"].dropna().unique())
        chosen = [t for t in threats if t in measured] or measured
        self.form["threats"].options = measured
        self.form["threats"].rows = min(len(measured), 8) or 1
        self.form["threats"].value = tuple(chosen)
        profiles = sorted(results.rows["profile"].dropna().unique()) if "profile" in results.rows else []
        self.form["profile"].options = [(ANY_PROFILE, ""), *((name, name) for name in profiles)]
        self.form["profile"].value = profile if profile in profiles else ""  # a Dropdown shows None as blank
        unmeasured = [t for t in threats if t not in measured]
        notes = [results.note] if results.note else []
        if unmeasured:
            notes.append(f"These results did not measure {', '.join(unmeasured)}: measure them below (as root), "
                         f"or give results that did.")
        self.source.value = f"<p>{html.escape(results.describe().replace('**', '').replace('`', ''))}</p>" + "".join(
            f"<p><i>{html.escape(note)}</i></p>" for note in notes)

    def needs(self) -> Needs:
        """The needs the form states now; a UsageError names a field that does not parse."""
        form = self.form
        return Needs(threats=tuple(form["threats"].value),
                     max_rpo_hours=_limit(form["max_rpo_hours"].value, "RPO"),
                     max_rto_s=_limit(form["max_rto_s"].value, "RTO"),
                     max_space_bytes=_size(form["max_space_bytes"].value, "space budget (bytes)"),
                     max_space_ratio=_limit(form["max_space_ratio"].value, "space budget (times the data)"),
                     max_lost_share=float(form["max_lost_share"].value), profile=form["profile"].value or None,
                     prefer=form["prefer"].value)

    def update(self, _change: object = None) -> None:
        """Recommend again from the loaded rows for what the form says now."""
        try:
            needs = self.needs()
        except (WorkbenchError, ValueError) as exc:
            self.problem.value = f"<p style='color:#b00020'>{html.escape(str(exc))}</p>"
            return
        self.problem.value = ""
        self.advice = recommend(self.results.rows, needs)
        self.details.value = details_html(self.advice)
        self.figure.value = options_png(self.advice)
        self.recommendation.value = recommendation_html(self.advice)  # last: when it changes, the page has changed

    def measure(self, _button: object = None) -> None:
        """Measure the explorer's strategies on the chosen threats for the workload (root), then advise from it."""
        button = self.measure_button
        button.disabled, label = True, button.description
        button.description = "Measuring... (a few minutes)"
        self.measure_status.value = ""
        try:
            workload = {name: widget.value for name, widget in self.workload.items()}
            measured = self._measure(threats=list(self.form["threats"].value), **workload)
        except WorkbenchError as exc:
            self.measure_status.value = f"<p style='color:#b00020'>{html.escape(str(exc))}</p>"
        else:
            self.load(measured)
            self.measure_status.value = f"<p>Measured into {html.escape(str(measured.folder))}.</p>"
        finally:
            button.description = label
            self._allow_measuring()

    def load(self, results: Results) -> None:
        """Advise from other results, keeping what the form says where those results allow it."""
        self.results = results
        self._offer(results, self.form["threats"].value, self.form["profile"].value or None)
        self.update()

    def _allow_measuring(self) -> None:
        allowed = can_measure()
        self.measure_button.disabled = not allowed
        self.measure_button.tooltip = "" if allowed else "measuring makes loop disks, which needs root"
        if not allowed:
            self.measure_status.value = ("<p>Measuring makes loop disks, which needs root: this explorer only "
                                         "reads the results above.</p>")

    def view(self) -> Any:
        """The page: the form first, then the recommendation and its table, then the measure box."""
        needs = widgets.VBox([widgets.HTML("<h3>What you need</h3>"), *self.form.values(), self.problem])
        measure = widgets.VBox([widgets.HTML("<h3>Measure your own workload</h3><p>The explorer's strategies on "
                                             "the threats chosen above, on loop disks (a few minutes).</p>"),
                                *self.workload.values(), self.measure_button, self.measure_status])
        return widgets.VBox([needs.add_class(FORM_CLASS), self.recommendation, self.source, self.details,
                             self.figure, measure])


def recommendation_html(advice: Recommendation) -> str:
    """The recommendation as the page states it: the pick, whether it meets every need, and why."""
    if advice.choice is None:
        headline = "Recommendation: <b>none</b>: nothing measured here answers a feared threat within the limits"
    else:
        verdict = "meets every need" if advice.meets_all_needs else "comes closest (no option meets every need)"
        headline = f"Recommendation: <b>{html.escape(advice.choice.name)}</b>, {verdict}"
    reasons = "".join(f"<li>{html.escape(line)}</li>" for line in advice.reasons + advice.notes)
    return f"<h3>{headline}</h3><ul>{reasons}</ul>"


def options_png(advice: Recommendation) -> bytes:
    """The options map (every option's threats answered against its space, the pick circled) as PNG bytes;
    empty when nothing was measured for the feared threats."""
    if advice.options.empty:
        return b""
    figure = options_map(advice.options, advice.choice.name if advice.choice else None)
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=80, bbox_inches="tight")
    return png.getvalue()


def details_html(advice: Recommendation) -> str:
    """Every strategy against every feared threat, and why: the table behind the recommendation."""
    if advice.outcomes.empty:
        return ""
    table = advice.outcomes[OUTCOME_COLUMNS].copy()
    table["space_bytes"] = table["space_bytes"].map(format_bytes)
    table = table.rename(columns={"rpo_hours": "RPO (h)", "rto_s": "RTO (s)", "space_bytes": "space"})
    return "<h4>Every strategy against every feared threat</h4>" + table.to_html(
        index=False, float_format=lambda value: f"{value:.3g}", na_rep="-", border=0)

