"""What the layout promises at a phone and a desktop width, measured in Chromium: the equitability
chart writes dollars and its labels never overlap (static/js/charts.js), the list's filter panel
folds below 64em (portal.js collapseFilters), and the overview's two lists line up as one on a
phone."""

from __future__ import annotations

import re

import pytest

from agreements.choices import State

pytestmark = pytest.mark.browser

# Each tick label Chart.js draws, as a box on the canvas: its text measured in the label's font,
# placed by the label's anchor, alignment and baseline.
CHART_LABELS = """canvas => {
  const chart = Chart.getChart(canvas);
  const ctx = chart.ctx;
  const scales = {};
  for (const [id, scale] of Object.entries(chart.scales)) {
    scales[id] = scale.getLabelItems().map(item => {
      const lines = Array.isArray(item.label) ? item.label : [item.label];
      ctx.save();
      ctx.font = item.font.string;
      const width = Math.max(...lines.map(line => ctx.measureText(String(line)).width));
      ctx.restore();
      const height = item.font.lineHeight * lines.length;
      const [x, y] = item.options.translation;
      const align = item.options.textAlign;
      const baseline = item.options.textBaseline;
      const left = align === "center" ? x - width / 2 : align === "right" || align === "end" ? x - width : x;
      const top = baseline === "middle" ? y - height / 2 : baseline === "bottom" ? y - height : y;
      return {label: lines.join(" "), left, top, right: left + width, bottom: top + height,
              rotation: item.options.rotation};
    });
  }
  const tooltip = chart.options.plugins.tooltip.callbacks.label;
  return {scales, width: chart.width, height: chart.height,
          tooltip: tooltip({parsed: {x: 4500000, y: 4500000}})};
}"""


def _overlap(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_equitability_chart_writes_dollars_and_its_labels_do_not_overlap(
    width, portal, make_agreement, program_office, transactional_db
):
    agreement = make_agreement(State.RAD_REVIEW, partners=("GBR", "FRA", "DEU", "ITA", "NLD", "NOR", "AUS"))
    ui = portal(width=width)
    ui.sign_in(program_office.username)
    page = ui.goto(f"/agreements/{agreement.reference}/participants/")
    page.wait_for_load_state("load")
    canvas = page.locator("canvas[data-chart]")
    page.wait_for_function("c => window.Chart && Chart.getChart(c)", arg=canvas.element_handle())
    drawn = canvas.evaluate(CHART_LABELS)

    values, names = drawn["scales"]["x"], drawn["scales"]["y"]  # a horizontal bar chart
    assert len(values) >= 3 and all(re.fullmatch(r"\$\d+(\.\d)?[KMB]?", v["label"]) for v in values), values
    assert values[0]["label"] == "$0" and any(v["label"].endswith("M") for v in values)
    assert drawn["tooltip"] == "$4,500,000"  # the tooltip gives the full amount
    assert {n["label"] for n in names} >= {"United States", "United Kingdom", "France", "Australia"}
    assert all(v["rotation"] == 0 for v in values + names)
    boxes = values + names
    for index, box in enumerate(boxes):
        assert box["left"] >= -0.5 and box["right"] <= drawn["width"] + 0.5, box  # inside the canvas
        for other in boxes[index + 1 :]:
            assert not _overlap(box, other), (box, other)
    # The equitability table beside the chart carries the same numbers in full dollars.
    table = page.locator("table", has_text="Equitability").inner_text()
    assert re.search(r"United States\s+\$[\d,]+", table), table
    assert not ui.csp_violations, ui.csp_violations


@pytest.mark.parametrize(("width", "folded"), [(1280, False), (1024, False), (1000, True), (390, True)])
def test_the_filter_panel_folds_below_64em(width, folded, portal, program_office, transactional_db):
    ui = portal(width=width)
    ui.sign_in(program_office.username)
    page = ui.goto("/agreements/")
    page.wait_for_load_state("load")
    panel = page.locator("details.portal-filter-panel")
    apply = panel.get_by_role("button", name="Apply filters")
    assert panel.evaluate("el => el.open") is (not folded)
    assert apply.is_visible() is (not folded)
    if folded:
        panel.locator("summary").click()
        assert apply.is_visible()


def test_the_overview_lists_line_up_on_a_phone(portal, make_agreement, program_office, transactional_db):
    agreement = make_agreement(State.NEGOTIATION)
    ui = portal(width=390)
    ui.sign_in(program_office.username)
    page = ui.goto(f"/agreements/{agreement.reference}/")
    page.wait_for_load_state("load")
    rows = page.locator(".portal-dl").evaluate_all(
        """lists => lists.flatMap(list => [...list.querySelectorAll("dt")].map(dt => {
          const dd = dt.nextElementSibling, term = dt.getBoundingClientRect(), value = dd.getBoundingClientRect();
          return {term: dt.innerText, top: Math.min(term.top, value.top),
                  bottom: Math.max(term.bottom, value.bottom), termRight: term.right, valueLeft: value.left};
        }))"""
    )
    terms = [row["term"] for row in rows]
    assert "Lead organization" in terms and "Effective date" in terms
    assert len({round(row["valueLeft"]) for row in rows}) == 1, rows  # one column of values
    for row, below in zip(rows, rows[1:], strict=False):
        assert below["top"] >= row["bottom"], (row, below)  # no row runs into the next
    assert all(row["termRight"] <= row["valueLeft"] for row in rows)
