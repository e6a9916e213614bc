/**
 * The report page's style and script. The script only draws the model embedded in the page (every
 * number is computed in Node from the ledger); it sets `window.reportReady` once drawn, which is
 * what the browser test waits on.
 */

export const PAGE_STYLE = `
:root { --ink: #1a1f36; --muted: #697386; --line: #e3e8ee; --bg: #f6f9fc; --card: #fff; --accent: #635bff;
  --new: #2e9e5b; --expansion: #7fd1a0; --reactivation: #2d9cdb; --contraction: #f2994a; --churn: #e5484d; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: var(--bg); }
header { display: flex; justify-content: space-between; align-items: flex-end; gap: 16px; flex-wrap: wrap; padding: 24px 32px 8px; max-width: 1280px; margin: 0 auto; }
h1 { margin: 0; font-size: 24px; letter-spacing: -0.01em; }
h2 { margin: 0 0 12px; font-size: 15px; }
.sub { margin: 4px 0 0; color: var(--muted); }
code { font-size: 12px; background: #edf0f4; padding: 1px 5px; border-radius: 4px; }
.controls { display: flex; gap: 12px; }
.controls label { color: var(--muted); font-size: 12px; display: flex; flex-direction: column; gap: 2px; }
select { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; background: #fff; color: var(--ink); }
main { max-width: 1280px; margin: 0 auto; padding: 8px 32px 40px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; margin: 12px 0 16px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.kpi .label { color: var(--muted); font-size: 12px; }
.kpi .value { font-size: 22px; font-weight: 600; margin-top: 2px; font-variant-numeric: tabular-nums; }
.kpi .note { color: var(--muted); font-size: 12px; margin-top: 2px; }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px; margin: 0; }
.card.wide { grid-column: 1 / -1; }
figcaption { font-weight: 600; margin-bottom: 8px; }
.chart { position: relative; height: 260px; }
.table-card { margin-top: 16px; }
.scroll { overflow: auto; }
.scroll.tall { max-height: 560px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { position: sticky; top: 0; background: #fafbfc; color: var(--muted); font-weight: 600; font-size: 12px; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
tbody tr:hover { background: #f7f8ff; }
.pos { color: var(--new); } .neg { color: var(--churn); }
.tag { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; color: #fff; }
.definitions { margin-top: 16px; color: var(--muted); }
.definitions ul { margin: 0 0 8px; padding-left: 18px; }
@media (max-width: 900px) { .grid { grid-template-columns: 1fr; } header, main { padding-left: 16px; padding-right: 16px; } }
`

export const PAGE_SCRIPT = `
(function () {
  'use strict';
  var model = JSON.parse(document.getElementById('report-data').textContent);
  var COLORS = {new: '#2e9e5b', expansion: '#7fd1a0', reactivation: '#2d9cdb', contraction: '#f2994a', churn: '#e5484d', net: '#1a1f36', mrr: '#635bff', total: '#9aa5b1', opening: '#7a869a'};
  var LABELS = {new: 'New', expansion: 'Expansion', reactivation: 'Reactivation', contraction: 'Contraction', churn: 'Churn', net: 'Net new', opening: 'Opening'};
  var charts = {};
  var state = {currency: model.currencies.indexOf('usd') >= 0 ? 'usd' : model.currencies[0], month: model.months[model.months.length - 1]};

  function money(minor, currency) {
    if (minor === null || minor === undefined) return '—';
    var exp = model.exponents[currency];
    return new Intl.NumberFormat('en-US', {style: 'currency', currency: currency.toUpperCase(), minimumFractionDigits: exp, maximumFractionDigits: exp}).format(minor / Math.pow(10, exp));
  }
  function major(minor, currency) { return minor === null ? null : minor / Math.pow(10, model.exponents[currency]); }
  function percent(rate) { return rate === null || rate === undefined ? '—' : (rate * 100).toFixed(1) + '%'; }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var key in attrs || {}) if (attrs[key] !== undefined && attrs[key] !== null) node.setAttribute(key, attrs[key]);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function fill(select, values, labels, selected) {
    select.innerHTML = '';
    values.forEach(function (value, i) { var option = el('option', {value: value}, labels[i]); if (value === selected) option.selected = true; select.appendChild(option); });
  }
  function draw(id, config) {
    if (charts[id]) charts[id].destroy();
    var o = config.options || {};
    o.animation = false; o.responsive = true; o.maintainAspectRatio = false; o.interaction = {mode: 'index', intersect: false};
    o.plugins = Object.assign({legend: {position: 'bottom', labels: {boxWidth: 10, usePointStyle: true}}}, o.plugins);
    config.options = o;
    charts[id] = new Chart(document.getElementById(id), config);
  }
  // grace: headroom above the highest point (and below the lowest), so no line or bar touches the frame.
  // Chart.js adds half the percentage of the data's range at each end: '20%' leaves at least a twelfth of the plot.
  var GRACE = '20%';
  function moneyAxis(currency) { return {grace: GRACE, ticks: {callback: function (v) { return money(Math.round(v * Math.pow(10, model.exponents[currency])), currency); }}, grid: {color: '#eef1f5'}}; }
  var PLANS = {}; model.plans.forEach(function (p) { PLANS[p.key] = p; });
  function planName(key) { return PLANS[key] ? PLANS[key].name : key; }
  function planColor(key) { return PLANS[key] ? PLANS[key].color : '#9aa5b1'; }
  /** A round step for an axis covering range: 1, 2 or 5 × a power of ten. */
  function niceStep(range) { var p = Math.pow(10, Math.floor(Math.log10(range))), f = range / p; return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p; }
  /** A white zigzag across the first and last bars near the floor: they are cut, not drawn from $0. */
  var axisBreak = {id: 'axisBreak', afterDatasetsDraw: function (chart) {
    var ctx = chart.ctx, bars = chart.getDatasetMeta(0).data, y = chart.chartArea.bottom - 12;
    [bars[0], bars[bars.length - 1]].forEach(function (bar) {
      var x0 = bar.x - bar.width / 2 - 2, teeth = 6, w = (bar.width + 4) / teeth;
      ctx.save(); ctx.strokeStyle = '#fff'; ctx.lineWidth = 3; ctx.beginPath();
      for (var k = 0; k <= teeth; k++) { if (k === 0) ctx.moveTo(x0, y + 3); else ctx.lineTo(x0 + k * w, y + (k % 2 ? -3 : 3)); }
      ctx.stroke(); ctx.restore();
    });
  }};
  function moneyTooltip(currency) { return {callbacks: {label: function (ctx) { var v = Array.isArray(ctx.raw) ? ctx.raw[1] - ctx.raw[0] : ctx.raw; return ctx.dataset.label + ': ' + money(Math.round(v * Math.pow(10, model.exponents[currency])), currency); }}}; }

  function kpi(container, key, label, text, value, note) {
    var card = el('div', {class: 'kpi', 'data-kpi': key, 'data-value': value === null || value === undefined ? '' : String(value)});
    card.appendChild(el('div', {class: 'label'}, label));
    card.appendChild(el('div', {class: 'value'}, text));
    if (note) card.appendChild(el('div', {class: 'note'}, note));
    container.appendChild(card);
  }

  function render() {
    var c = state.currency, series = model.byCurrency[c], i = model.months.indexOf(state.month), months = model.months;
    var kpis = document.getElementById('kpis'); kpis.innerHTML = '';
    kpi(kpis, 'mrr', 'MRR · ' + state.month, money(series.mrr[i], c), series.mrr[i], c.toUpperCase());
    // The first month is where the history starts: its MRR is a balance, not net new MRR.
    if (months[i] === model.openingMonth) kpi(kpis, 'opening', 'Opening balance', money(series.mrr[i], c), series.mrr[i], 'the history starts here: nothing moved into it');
    else kpi(kpis, 'net', 'Net new MRR', money(series.movements.net[i], c), series.movements.net[i], 'new + expansion + reactivation − contraction − churn');
    kpi(kpis, 'subscribers', 'Active subscribers', String(series.activeSubscribers[i]), series.activeSubscribers[i], 'paying in ' + c.toUpperCase());
    kpi(kpis, 'arpu', 'ARPU', money(series.arpu[i], c), series.arpu[i], 'MRR ÷ active subscribers');
    kpi(kpis, 'churn-rate', 'Subscriber churn rate', percent(series.churnRate[i]), series.churnRate[i], 'churned ÷ (active before + new)');
    if (model.reporting) kpi(kpis, 'total', 'All currencies', money(model.reporting.mrr[i], model.reporting.currency), model.reporting.mrr[i], 'at the fixed rates below');

    var mrrSets = [{label: 'MRR (' + c.toUpperCase() + ')', data: series.mrr.map(function (v) { return major(v, c); }), borderColor: COLORS.mrr, backgroundColor: 'rgba(99,91,255,0.10)', fill: true, tension: 0.25, pointRadius: 3}];
    if (model.reporting && model.reporting.currency === c) mrrSets.push({label: 'All currencies in ' + c.toUpperCase(), data: model.reporting.mrr.map(function (v) { return major(v, c); }), borderColor: COLORS.total, borderDash: [6, 4], pointRadius: 2, tension: 0.25});
    draw('mrr-chart', {type: 'line', data: {labels: months, datasets: mrrSets}, options: {scales: {y: Object.assign({beginAtZero: true}, moneyAxis(c))}, plugins: {tooltip: moneyTooltip(c)}}});

    var kinds = ['new', 'expansion', 'reactivation', 'contraction', 'churn'];
    // beginAtZero off: bars' default keeps 0 as the axis end, so a month of only churn would hang from the frame's top.
    var moveSets = kinds.map(function (k) {
      var sign = k === 'contraction' || k === 'churn' ? -1 : 1;
      return {type: 'bar', label: LABELS[k], data: series.movements[k].map(function (v) { return major(sign * v, c); }), backgroundColor: COLORS[k], stack: 'moves', borderRadius: 2};
    });
    moveSets.push({type: 'line', label: LABELS.net, data: series.movements.net.map(function (v, m) { return months[m] === model.openingMonth ? null : major(v, c); }), borderColor: COLORS.net, backgroundColor: COLORS.net, pointRadius: 3, tension: 0});
    draw('movements-chart', {type: 'bar', data: {labels: months, datasets: moveSets}, options: {scales: {x: {stacked: true}, y: Object.assign({stacked: true, beginAtZero: false}, moneyAxis(c))}, plugins: {tooltip: moneyTooltip(c)}}});

    // The waterfall's axis spans the levels MRR passed through, not 0 to the top: a −$240 churn on $28k
    // is a visible step. Start and End bars rise from the axis floor, cut by a break mark, and the caption
    // says where the axis starts. Movements large beside MRR keep the axis from 0: nothing to magnify.
    var opening = state.month === model.openingMonth;
    var start = series.mrr[i] - series.movements.net[i], level = start, steps = [], colors = ['#c7cbd6'], levels = [start];
    kinds.forEach(function (k) { var delta = (k === 'contraction' || k === 'churn' ? -1 : 1) * series.movements[k][i]; steps.push([level, level + delta]); level += delta; levels.push(level); colors.push(COLORS[k]); });
    colors.push(COLORS.mrr);
    var lo = Math.min.apply(null, levels), hi = Math.max.apply(null, levels), span = hi - lo;
    // Below the lowest level, room as tall as the movements (at least 1% of MRR); floor and top on whole ticks.
    var pad = Math.max(span, hi * 0.01), step = niceStep(pad) / 4;
    var floor = span > 0 && lo - span * 3 > 0 ? Math.max(0, Math.floor((lo - pad) / step) * step) : 0;
    var bars = [[floor, start]].concat(steps, [[floor, series.mrr[i]]]);
    var waterfallAxis = moneyAxis(c);
    if (floor > 0) {
      // Both ends set: Chart.js's grace would otherwise reach below the floor and leave Start and End floating.
      waterfallAxis.min = major(floor, c); waterfallAxis.max = major(Math.ceil((hi + (hi - floor) * 0.1) / step) * step, c);
      waterfallAxis.grace = 0; waterfallAxis.ticks.stepSize = major(step, c);
    }
    document.getElementById('waterfall-title').textContent = 'Waterfall · ' + state.month + (opening ? ' · the opening balance (the history starts here)' : '') + (floor > 0 ? ' · axis from ' + money(floor, c) : '');
    draw('waterfall-chart', {type: 'bar', plugins: floor > 0 ? [axisBreak] : [], data: {labels: [opening ? 'Opening' : 'Start', 'New', 'Expansion', 'Reactivation', 'Contraction', 'Churn', 'End'], datasets: [{label: 'MRR', data: bars.map(function (b) { return [major(b[0], c), major(b[1], c)]; }), backgroundColor: colors, borderRadius: 2, minBarLength: 2}]},
      options: {scales: {y: waterfallAxis}, plugins: {legend: {display: false}, tooltip: moneyTooltip(c)}}});

    draw('plan-mrr-chart', {type: 'bar', data: {labels: months, datasets: series.plans.map(function (p) { return {label: planName(p), data: series.mrrByPlan[p].map(function (v) { return major(v, c); }), backgroundColor: planColor(p), stack: 'plans'}; })},
      options: {scales: {x: {stacked: true}, y: Object.assign({stacked: true}, moneyAxis(c))}, plugins: {tooltip: moneyTooltip(c)}}});
    draw('plan-customers-chart', {type: 'bar', data: {labels: months, datasets: series.plans.map(function (p) { return {label: planName(p), data: series.customersByPlan[p], backgroundColor: planColor(p), stack: 'plans'}; })},
      options: {scales: {x: {stacked: true}, y: {stacked: true, grace: GRACE, ticks: {precision: 0}, grid: {color: '#eef1f5'}}}}});
    draw('arpu-chart', {type: 'line', data: {labels: months, datasets: [
      {label: 'ARPU', data: series.arpu.map(function (v) { return major(v, c); }), borderColor: COLORS.mrr, backgroundColor: COLORS.mrr, yAxisID: 'y', tension: 0},
      {label: 'Churn rate', data: series.churnRate.map(function (r) { return r === null ? null : r * 100; }), borderColor: COLORS.churn, backgroundColor: COLORS.churn, yAxisID: 'rate', tension: 0}]},
      options: {scales: {y: moneyAxis(c), rate: {position: 'right', beginAtZero: true, grace: GRACE, ticks: {callback: function (v) { return v + '%'; }}, grid: {display: false}}}}});

    renderSummary(c, series);
    renderCustomers(c);
    window.reportReady = true;
  }

  function cell(row, text, value, cls) { row.appendChild(el('td', {'data-value': value === undefined ? undefined : String(value), class: cls}, text)); }
  function header(table, names) {
    var thead = el('thead'), row = el('tr');
    names.forEach(function (n) { row.appendChild(el('th', {class: n.text ? 'text' : undefined}, n.label || n)); });
    thead.appendChild(row); table.appendChild(thead);
  }
  function renderSummary(c, series) {
    var table = document.getElementById('summary-table'); table.innerHTML = '';
    header(table, ['Month', 'MRR', 'New', 'Expansion', 'Reactivation', 'Contraction', 'Churn', 'Net new', 'Active subscribers', 'ARPU', 'Churn rate', 'Trials started', 'Trials converted']);
    var body = el('tbody');
    model.months.forEach(function (month, i) {
      var row = el('tr', {'data-month': month});
      cell(row, month === model.openingMonth ? month + ' · opening' : month, month);
      cell(row, money(series.mrr[i], c), series.mrr[i]);
      if (month === model.openingMonth) {
        // The opening balance has no movements: a dash, not $0.00 of each.
        ['new', 'expansion', 'reactivation', 'contraction', 'churn', 'net'].forEach(function (k) { cell(row, '—', series.movements[k][i]); });
      } else {
        ['new', 'expansion', 'reactivation'].forEach(function (k) { cell(row, money(series.movements[k][i], c), series.movements[k][i], series.movements[k][i] ? 'pos' : undefined); });
        ['contraction', 'churn'].forEach(function (k) { cell(row, money(series.movements[k][i], c), series.movements[k][i], series.movements[k][i] ? 'neg' : undefined); });
        cell(row, money(series.movements.net[i], c), series.movements.net[i], series.movements.net[i] > 0 ? 'pos' : series.movements.net[i] < 0 ? 'neg' : undefined);
      }
      cell(row, String(series.activeSubscribers[i]), series.activeSubscribers[i]);
      cell(row, money(series.arpu[i], c), series.arpu[i] === null ? '' : series.arpu[i]);
      cell(row, percent(series.churnRate[i]), series.churnRate[i] === null ? '' : series.churnRate[i]);
      cell(row, String(series.trialsStarted[i]), series.trialsStarted[i]);
      cell(row, String(series.trialsConverted[i]), series.trialsConverted[i]);
      body.appendChild(row);
    });
    table.appendChild(body);
  }
  function renderCustomers(c) {
    var packed = model.customers, rows = (packed.months[state.month] || []).map(function (cells) {
      var row = {};
      packed.columns.forEach(function (column, i) { row[column] = packed.text.indexOf(column) >= 0 ? packed.strings[cells[i]] : cells[i]; });
      return row;
    }).filter(function (r) { return r.currency === c; });
    document.getElementById('customers-title').textContent = 'Customers · ' + state.month + ' · ' + rows.length + ' in ' + c.toUpperCase();
    var table = document.getElementById('customers-table'); table.innerHTML = '';
    header(table, [{label: 'Customer', text: true}, {label: 'Plan', text: true}, {label: 'Status', text: true}, {label: 'Interval', text: true}, 'Quantity', {label: 'Discounts', text: true}, {label: 'Trial', text: true}, 'MRR before', 'MRR', 'Change', {label: 'Movement', text: true}]);
    var body = el('tbody'), opening = state.month === model.openingMonth;
    rows.forEach(function (r) {
      var row = el('tr', {'data-customer': r.customer});
      cell(row, r.customer, r.customer);
      cell(row, r.plans, undefined, 'text');
      cell(row, r.status, undefined, 'text');
      cell(row, r.interval, undefined, 'text');
      cell(row, String(r.quantity), r.quantity);
      cell(row, r.discounts, undefined, 'text');
      cell(row, r.trial, undefined, 'text');
      // In the opening month there is no reading before: the ledger's "new" from nothing is the opening balance.
      cell(row, opening ? '—' : money(r.previousMrr, c), opening ? '' : r.previousMrr);
      cell(row, money(r.mrr, c), r.mrr);
      var change = r.mrr - r.previousMrr;
      if (opening) cell(row, '—', '');
      else cell(row, change === 0 ? '·' : (change > 0 ? '+' : '−') + money(Math.abs(change), c), change, change > 0 ? 'pos' : change < 0 ? 'neg' : undefined);
      var movement = opening ? (r.mrr > 0 ? 'opening' : '') : r.movement;
      var mv = el('td', {class: 'text', 'data-value': movement || ''});
      if (movement) { var tag = el('span', {class: 'tag'}, LABELS[movement]); tag.style.background = COLORS[movement]; mv.appendChild(tag); }
      row.appendChild(mv);
      body.appendChild(row);
    });
    table.appendChild(body);
  }

  var currencySelect = document.getElementById('currency'), monthSelect = document.getElementById('month');
  fill(currencySelect, model.currencies, model.currencies.map(function (x) { return x.toUpperCase(); }), state.currency);
  fill(monthSelect, model.months, model.months, state.month);
  currencySelect.addEventListener('change', function () { state.currency = currencySelect.value; render(); });
  monthSelect.addEventListener('change', function () { state.month = monthSelect.value; render(); });
  if (model.months.length === 0 || model.currencies.length === 0) { document.getElementById('kpis').textContent = 'No subscriptions in the ledger yet.'; window.reportReady = true; return; }
  render();
})();
`
