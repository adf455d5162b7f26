"""`report.html`: one self-contained page for people: summary, verdict table with filters, and per
probe its exchanges, the log evidence and the catalogue's diagnosis, fix and why.

Everything the page needs is inline (CSS, a little plain JS); it loads nothing, so it opens from
a CI artifact or a mail attachment with no network. A Content-Security-Policy admits only the
page's own style and script (by hash), so even a log line that slipped past escaping could not
run or fetch anything. Every value is escaped: log lines and bodies come from the target.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape

from gatecrash.load import charts
from gatecrash.load.phase import LoadOutcome
from gatecrash.report.evidence import AccessRecordView, LineView, RecordField, evidence_view
from gatecrash.report.junit import elapsed_seconds, expected_text, observed_text
from gatecrash.report.style import BASE_CSS, csp_hash
from gatecrash.run import RunResult
from gatecrash.runner.record import Observation
from gatecrash.runner.verdict import StepResult, Verdict
from gatecrash.scenario.model import LoadPhase

_CSS = (
    BASE_CSS
    + """
[hidden] { display: none !important; }
h3 { margin: 0 0 6px; font-size: 16px; }
h4 { margin: 14px 0 6px; font-size: 14px; }
.overall { display: inline-block; margin-top: 8px; padding: 3px 10px; border-radius: 4px; font-weight: 600; }
.overall.ok { background: var(--ok); }
.overall.bad { background: var(--bad); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.counts { display: flex; gap: 10px; flex-wrap: wrap; margin: 14px 0 0; padding: 0; list-style: none; }
.counts li { border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; min-width: 120px; }
.counts li b { display: block; font-size: 20px; }
.counts li.zero { opacity: .45; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 3px; font-size: 12px; font-weight: 600;
  color: #fff; white-space: nowrap; }
.v-confirmed { background: var(--ok); }
.v-unconfirmed { background: #4f6f8f; }
.v-wrong_cause { background: #b54708; }
.v-wrong_status { background: var(--bad); }
.v-error { background: #6e3fb0; }
.counts li.v-confirmed, .counts li.v-unconfirmed, .counts li.v-wrong_cause, .counts li.v-wrong_status,
.counts li.v-error { color: #fff; border-color: transparent; }
.toolbar { display: flex; gap: 6px; flex-wrap: wrap; align-items: center; margin: 0 0 10px; }
.toolbar button { font: inherit; padding: 3px 10px; border: 1px solid var(--line); border-radius: 14px;
  background: #fff; cursor: pointer; }
.toolbar button[aria-pressed="true"] { background: #22303c; color: #fff; border-color: #22303c; }
.toolbar input { font: inherit; padding: 4px 8px; border: 1px solid var(--line); border-radius: 4px; width: 260px; }
.toolbar output { color: var(--muted); margin-left: 6px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { background: var(--bg); font-weight: 600; }
tr.not-expected td:first-child { box-shadow: inset 3px 0 var(--bad); }
td.reason { overflow-wrap: anywhere; }
article.probe { border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin: 12px 0; }
article.probe.not-expected { border-left: 4px solid var(--bad); }
article .mode { color: var(--muted); margin: 0 0 8px; }
table.exchanges td, table.exchanges th { font-size: 13px; overflow-wrap: anywhere; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0; }
.charts svg { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
td.pass { color: var(--ok); font-weight: 600; white-space: nowrap; }
td.fail { color: var(--bad); font-weight: 600; white-space: nowrap; }
ol.evidence { margin: 0; padding-left: 22px; }
ol.evidence li { margin: 2px 0; }
ol.evidence code { white-space: pre-wrap; overflow-wrap: anywhere; }
mark { background: #ffe58f; padding: 0 1px; }
.record-title { margin: 4px 0; }
dl.record { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 4px 6px;
  margin: 4px 0 6px; }
dl.record div { min-width: 0; padding: 2px 8px 3px; border: 1px solid var(--line); border-radius: 4px; }
dl.record dt { color: var(--muted); font-size: 12px; }
dl.record dd { margin: 0; overflow-wrap: anywhere; }
dl.record div.decisive { background: #fff8db; border-color: #d4a106; box-shadow: inset 3px 0 #d4a106; }
dl.record div.decisive dt { color: var(--fg); font-weight: 600; }
details { margin: 6px 0; }
details summary { cursor: pointer; color: #0b5cad; }
details.catalogue { background: var(--bg); border-radius: 4px; padding: 6px 10px; }
details.catalogue h5 { margin: 8px 0 2px; font-size: 13px; }
details.catalogue p { margin: 0 0 4px; }
.muted { color: var(--muted); }
"""
)

# Reads `?verdict=...&q=...` or `#verdict=...&q=...` on load (so a link can open a filtered view),
# filters the verdict rows and the probe sections together, and keeps the hash in step.
_JS = """
(function () {
  "use strict";
  var toolbar = document.getElementById("filters");
  var input = document.getElementById("text-filter");
  var shown = document.getElementById("shown");
  var none = document.getElementById("no-match");
  var buttons = Array.prototype.slice.call(toolbar.querySelectorAll("button[data-verdict]"));
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-filtered]"));
  var rows = items.filter(function (item) { return item.tagName === "TR"; });
  var state = { verdict: "", text: "" };

  function wanted(item) {
    var verdict = state.verdict;
    var byVerdict = !verdict || item.dataset.verdict === verdict ||
      (verdict === "NOT_AS_EXPECTED" && item.dataset.asExpected === "no");
    var text = state.text.trim().toLowerCase();
    return byVerdict && (!text || item.dataset.search.indexOf(text) !== -1);
  }

  function apply() {
    items.forEach(function (item) { item.hidden = !wanted(item); });
    var count = rows.filter(function (row) { return !row.hidden; }).length;
    shown.textContent = count + " of " + rows.length + " probes shown";
    none.hidden = count !== 0;
    buttons.forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.verdict === state.verdict));
    });
  }

  function remember() {
    var params = new URLSearchParams();
    if (state.verdict) { params.set("verdict", state.verdict); }
    if (state.text) { params.set("q", state.text); }
    history.replaceState(null, "", location.pathname + location.search + "#" + params.toString());
  }

  function read() {
    var params = new URLSearchParams(location.search);
    new URLSearchParams(location.hash.slice(1)).forEach(function (value, key) { params.set(key, value); });
    state.verdict = (params.get("verdict") || "").toUpperCase().replace(/-/g, "_");
    if (state.verdict === "ALL") { state.verdict = ""; }
    state.text = params.get("q") || "";
    input.value = state.text;
  }

  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      state.verdict = button.dataset.verdict;
      apply();
      remember();
    });
  });
  input.addEventListener("input", function () {
    state.text = input.value;
    apply();
    remember();
  });
  toolbar.hidden = false;
  read();
  apply();
})();
"""


CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src {csp_hash(_CSS)}; script-src {csp_hash(_JS)}; "
    "img-src 'none'; base-uri 'none'; form-action 'none'"
)


# --- highlighting the evidence ----------------------------------------------------------------------


def highlight(line: str, spans: Iterable[tuple[int, int]]) -> str:
    """`line` escaped, with each span wrapped in <mark>."""
    parts: list[str] = []
    position = 0
    for start, end in spans:
        parts.append(escape(line[position:start]))
        parts.append(f"<mark>{escape(line[start:end])}</mark>")
        position = end
    parts.append(escape(line[position:]))
    return "".join(parts)


# --- small pieces -----------------------------------------------------------------------------------


def _badge(verdict: Verdict) -> str:
    return f'<span class="badge {_verdict_class(verdict)}">{escape(verdict.value)}</span>'


def _verdict_class(verdict: Verdict) -> str:
    return f"v-{verdict.value.lower()}"


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def _facts(pairs: Iterable[tuple[str, str]]) -> str:
    rows = "".join(f"<dt>{escape(name)}</dt><dd>{escape(value)}</dd>" for name, value in pairs)
    return f'<dl class="facts">{rows}</dl>'


def _anchor(position: int) -> str:
    return f"probe-{position}"


def _search_text(result: StepResult) -> str:
    """What the text filter searches: the row's words plus every request id, so a pasted id finds its probe."""
    ids = " ".join(o.request_id or "" for o in result.record.observations)
    words = (result.name, result.mode.id, result.mode.title, result.verdict.value, result.reason)
    return " ".join((*words, expected_text(result), observed_text(result), result.observed_cause or "", ids)).lower()


def _filter_attributes(result: StepResult) -> str:
    as_expected = "yes" if result.verdict.as_expected else "no"
    return (
        f'data-filtered data-verdict="{escape(result.verdict.value)}" data-as-expected="{as_expected}" '
        f'data-search="{escape(_search_text(result))}"'
    )


def _row_class(result: StepResult) -> str:
    return "" if result.verdict.as_expected else ' class="not-expected"'


# --- summary and verdict table ----------------------------------------------------------------------


def _header(run: RunResult) -> str:
    failing = sum(not r.verdict.as_expected for r in run.results)
    total = len(run.results)
    if failing:
        overall = f'<span class="overall bad">{failing} of {total} probes NOT as expected</span>'
    else:
        overall = (
            f'<span class="overall ok">all {total} probes as expected</span>'
            if total != 1
            else '<span class="overall ok">the probe is as expected</span>'
        )
    return (
        f"<header><h1>gatecrash report: {escape(run.scenario.name)}</h1>"
        f"<p>{escape(run.target.description)}</p>{overall}</header>"
    )


def _summary(run: RunResult) -> str:
    target = run.target
    duration = (run.finished - run.started).total_seconds()
    facts = _facts(
        (
            ("scenario", f"{run.scenario.name} ({run.scenario.source})"),
            ("target", target.description),
            ("base URL", target.base_url),
            ("API / stage / region", f"{target.rest_api_id} / {target.stage} / {target.region}"),
            ("log groups", f"{target.execution_log_group}; access: {target.access_log_group or 'none'}"),
            ("started", _time(run.started)),
            ("finished", f"{_time(run.finished)} ({duration:.2f} s)"),
            ("run id", run.run_id),
            ("gatecrash", run.version),
        )
    )
    return f'<section id="summary"><h2>Summary</h2>{facts}{_counts(run)}</section>'


def _counts(run: RunResult) -> str:
    items = []
    for verdict in Verdict:
        count = sum(r.verdict is verdict for r in run.results)
        classes = _verdict_class(verdict) if count else "zero"
        items.append(f'<li class="{classes}" data-count="{verdict.value}">{escape(verdict.value)}<b>{count}</b></li>')
    return f'<ul class="counts">{"".join(items)}</ul>'


def _toolbar(run: RunResult) -> str:
    failing = sum(not r.verdict.as_expected for r in run.results)
    buttons = [
        f'<button type="button" data-verdict="">all ({len(run.results)})</button>',
        f'<button type="button" data-verdict="NOT_AS_EXPECTED">not as expected ({failing})</button>',
    ]
    for verdict in Verdict:
        count = sum(r.verdict is verdict for r in run.results)
        buttons.append(
            f'<button type="button" data-verdict="{verdict.value}">{escape(verdict.value)} ({count})</button>'
        )
    search = '<input type="search" id="text-filter" placeholder="filter by text or request id" />'
    # Hidden until the script runs: without it the buttons would do nothing.
    return f'<div id="filters" class="toolbar" hidden>{"".join(buttons)}{search}<output id="shown"></output></div>'


def _observed(result: StepResult, load: LoadOutcome | None) -> str:
    """What came back; for a load phase every answer counted (its exchanges are only samples)."""
    if load is None:
        return observed_text(result)
    return ", ".join(f"{count}x {status}" for status, count in load.mix.items()) or "nothing sent"


def _verdict_row(position: int, result: StepResult, load: LoadOutcome | None = None) -> str:
    cells = (
        f'<a href="#{_anchor(position)}">{escape(result.name)}</a>',
        f'<span class="mono">{escape(result.mode.id)}</span>',
        escape(expected_text(result)),
        escape(_observed(result, load)),
        _badge(result.verdict),
        escape(result.reason),
    )
    tds = "".join(f'<td class="reason">{cell}</td>' if i == 5 else f"<td>{cell}</td>" for i, cell in enumerate(cells))
    return f'<tr id="row-{position}"{_row_class(result)} {_filter_attributes(result)}>{tds}</tr>'


def _verdict_table(run: RunResult) -> str:
    head = "".join(f"<th>{name}</th>" for name in ("probe", "mode", "expected", "observed", "verdict", "reason"))
    rows = "".join(
        _verdict_row(position, result, _load_of(run, result)) for position, result in enumerate(run.results, 1)
    )
    return (
        f'<section id="verdicts"><h2>Verdicts</h2>{_toolbar(run)}'
        f'<table id="verdict-table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
        '<p id="no-match" class="muted" hidden>No probe matches the filter.</p></section>'
    )


# --- one probe in detail ----------------------------------------------------------------------------


def _exchange_row(observation: Observation, run_start: float) -> str:
    request = observation.request
    line = f"{request.method} {request.url}" + (f" ({request.body_size} bytes)" if request.body_size else "")
    elapsed = f"{observation.elapsed_ms:.1f} ms" if observation.elapsed_ms is not None else "-"
    timing = f"+{(observation.sent_at - run_start) * 1000:.1f} ms, took {elapsed}"
    status = str(observation.status) if observation.status is not None else escape(observation.error or "no answer")
    cells = (
        str(observation.index + 1),
        f'<span class="mono">{escape(observation.request_id or "-")}</span>'
        f'<br><span class="mono muted">{escape(observation.extended_request_id or "")}</span>',
        status,
        escape(observation.error_type or "-"),
        escape(timing),
        f'<span class="mono">{escape(line)}</span>{_exchange_details(observation)}',
    )
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _headers_text(headers: Iterable[tuple[str, str]]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers) or "(none)"


def _exchange_details(observation: Observation) -> str:
    request = observation.request
    parts = (
        ("request headers (redacted)", _headers_text(request.headers)),
        ("request body (excerpt)", request.body_excerpt or "(empty)"),
        ("response headers (kept)", _headers_text(observation.headers)),
        ("response body (excerpt)", observation.body_excerpt or "(empty)"),
    )
    inner = "".join(f"<h5>{escape(title)}</h5><pre>{escape(text)}</pre>" for title, text in parts)
    return f"<details><summary>headers and bodies</summary>{inner}</details>"


def _exchanges(result: StepResult, run_start: float) -> str:
    observations = result.record.observations
    head = "".join(
        f"<th>{name}</th>"
        for name in ("#", "x-amzn-RequestId / x-amz-apigw-id", "status", "x-amzn-ErrorType", "timing", "request")
    )
    rows = "".join(_exchange_row(o, run_start) for o in observations)
    return (
        f"<h4>{'Sample exchanges' if isinstance(result.record.step, LoadPhase) else 'Exchanges'} "
        f"({len(observations)})</h4>"
        f'<table class="exchanges"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    )


def _evidence(result: StepResult) -> str:
    cause = result.observed_cause or "none found"
    title = f"<h4>Evidence from the gateway's logs (observed cause: {escape(cause)})</h4>"
    view = evidence_view(result)
    if not view.items:
        return f'{title}<p class="muted">No log lines yet.</p>'
    records = "".join(_record(item) for item in view.items if isinstance(item, AccessRecordView))
    texts = [item for item in view.items if isinstance(item, LineView)]
    lines = "".join(f"<li><code>{highlight(item.text, item.spans)}</code></li>" for item in texts)
    heading = '<p class="record-title">Execution log</p>' if any(item.execution_line for item in texts) else ""
    listed = f'{heading}<ol class="evidence">{lines}</ol>' if lines else ""
    mode = escape(result.mode.id)
    if view.marked and view.marks_decided:
        note = f"Highlighted: what decided {escape(result.observed_cause or 'the cause')}."
    elif view.marked:
        note = f"Highlighted: what the catalogue entry for {mode} looks for."
    else:
        note = f"Nothing in these lines is what the catalogue entry for {mode} looks for."
    return f'{title}{records}{listed}<p class="muted">{note}</p>'


def _record(record: AccessRecordView) -> str:
    """An access record as its fields, what decided marked; the fields logged `-` left out unless marked."""
    shown = [f for f in record.fields if f.value != "-" or f.marked]
    left_out = len(record.fields) - len(shown)
    dashes = f' <span class="muted">({left_out} fields logged "-" not shown)</span>' if left_out else ""
    return (
        f'<div class="access-record"><p class="record-title">Access log record{dashes}</p>'
        f'<dl class="record">{"".join(_pair(f) for f in shown)}</dl>'
        f"<details><summary>the record as logged</summary><pre>{escape(record.raw)}</pre></details></div>"
    )


def _pair(field: RecordField) -> str:
    name, value = escape(field.name), escape(field.value)
    if field.marked:
        return f'<div class="decisive"><dt>{name}</dt><dd class="mono"><mark>{value}</mark></dd></div>'
    return f'<div><dt>{name}</dt><dd class="mono">{value}</dd></div>'


def _source(source: str) -> str:
    # Only web links become links; anything else stays text (no javascript: or file: URLs).
    if source.startswith("https://") and not any(c in source for c in "\"'<> "):
        return f'<a href="{escape(source)}">{escape(source)}</a>'
    return escape(source)


def _catalogue(result: StepResult) -> str:
    mode = result.mode
    opened = "" if result.verdict.as_expected else " open"
    sources = "".join(f"<li>{_source(source)}</li>" for source in mode.sources)
    return (
        f'<details class="catalogue"{opened}><summary>Diagnosis, fix and why ({escape(mode.id)})</summary>'
        f"<h5>Diagnosis</h5><p>{escape(mode.diagnosis)}</p>"
        f"<h5>Fix</h5><p>{escape(mode.fix)}</p>"
        f"<h5>Why</h5><p>{escape(mode.why)}</p>"
        f"<h5>Sources</h5><ul>{sources}</ul></details>"
    )


# --- a load phase -----------------------------------------------------------------------------------


def _load_charts(load: LoadOutcome) -> str:
    seconds = load.seconds
    traffic = charts.line_chart(
        "Offered vs accepted vs throttled, per second",
        "requests per second",
        [
            charts.Series("offered", [s.offered for s in seconds]),
            charts.Series("sent", [s.sent for s in seconds], dashed=True),
            charts.Series("accepted", [s.accepted for s in seconds]),
            charts.Series("throttled", [s.throttled for s in seconds]),
            charts.Series("quota", [s.quota for s in seconds]),
            charts.Series("other", [s.other_4xx + s.server_5xx + s.errors for s in seconds]),
        ],
    )
    points = load.latency
    latency = charts.line_chart(
        "Latency per second, from each due time (coordinated omission corrected)",
        "milliseconds",
        [
            charts.Series("p50", [p.p50_ms for p in points]),
            charts.Series("p90", [p.p90_ms for p in points]),
            charts.Series("p99", [p.p99_ms for p in points]),
            charts.Series("raw p99", [p.raw_p99_ms for p in points], dashed=True),
        ],
    )
    mix = charts.stacked_bar("Status mix", load.mix)
    return f'<div class="charts">{traffic}{latency}{mix}</div>'


def _checks_table(load: LoadOutcome) -> str:
    rows = "".join(
        f"<tr><td>{escape(c.name)}</td><td>{escape(c.expected)}</td><td>{escape(c.observed)}</td>"
        f'<td class="{"pass" if c.passed else "fail"}">{"met" if c.passed else "NOT MET"}</td></tr>'
        for c in load.checks
    )
    head = "".join(f"<th>{name}</th>" for name in ("expectation", "expected", "observed", ""))
    return f'<h4>Expectations</h4><table class="exchanges"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _log_counts(load: LoadOutcome) -> str:
    if load.logs is None:
        return ""
    rows = "".join(
        f"<tr><td>{escape(c.status)}</td><td>{escape(c.response_type)}</td><td>{escape(c.limit or '-')}</td>"
        f"<td>{c.count}</td></tr>"
        for c in load.logs.counts
    )
    head = "".join(f"<th>{name}</th>" for name in ("status", "error.responseType", "limit", "requests"))
    found = f"{load.logs.found} of {load.logs.wanted} requests found in the access log"
    return (
        f"<h4>The gateway's access log, aggregated ({escape(found)})</h4>"
        f'<table class="exchanges"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    )


def _load_section(load: LoadOutcome) -> str:
    latency = ", ".join(f"{name} {value:.1f} ms" for name, value in load.latency_overall.items())
    facts = [
        ("offered", f"{load.offered_rps:.1f} rps ({load.planned} requests planned)"),
        ("achieved", f"{load.achieved_rps:.1f} rps ({load.sent} sent; p99 schedule lag {load.lag_p99_ms:.1f} ms)"),
        ("locust", f"{load.processes} process(es), {load.users_per_process} users each"),
        ("latency (corrected)", latency),
    ]
    if load.stopped:
        facts.append(("stopped early", "; ".join(load.stopped)))
    return f"{_facts(facts)}{_load_charts(load)}{_checks_table(load)}{_log_counts(load)}"


def _probe(position: int, result: StepResult, run_start: float, load: LoadOutcome | None = None) -> str:
    facts = [
        ("expected", expected_text(result)),
        ("observed", _observed(result, load)),
        ("reason", result.reason),
        ("time", f"{_elapsed(result, load) * 1000:.1f} ms"),
    ]
    if result.record.release_spread_ms is not None:
        facts.append(("burst release spread", f"{result.record.release_spread_ms:.2f} ms"))
    classes = "probe" if result.verdict.as_expected else "probe not-expected"
    return (
        f'<article id="{_anchor(position)}" class="{classes}" {_filter_attributes(result)}>'
        f"<h3>{_badge(result.verdict)} {escape(result.name)}</h3>"
        f'<p class="mode"><span class="mono">{escape(result.mode.id)}</span>: {escape(result.mode.title)}</p>'
        f"{_facts(facts)}{_load_section(load) if load is not None else ''}"
        f"{_exchanges(result, run_start)}{_evidence(result)}{_catalogue(result)}</article>"
    )


def _elapsed(result: StepResult, load: LoadOutcome | None) -> float:
    if load is None:
        return elapsed_seconds(result)
    return float(len(load.seconds))


def _load_of(run: RunResult, result: StepResult) -> LoadOutcome | None:
    return run.load_of(result.name) if isinstance(result.record.step, LoadPhase) else None


def render(run: RunResult) -> str:
    start = run.started.timestamp()
    probes = "".join(
        _probe(position, result, start, _load_of(run, result)) for position, result in enumerate(run.results, 1)
    )
    title = f"gatecrash: {run.scenario.name} ({run.run_id})"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{escape(CONTENT_SECURITY_POLICY)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>{_header(run)}<main>{_summary(run)}{_verdict_table(run)}"
        f'<section id="probes"><h2>Probes</h2>{probes}</section></main>'
        f"<script>{_JS}</script></body></html>\n"
    )
