// The live sale dashboard in the browser: reads the server-sent events of /dashboard/stream
// with fetch (so the operator token goes in the Authorization header, never in a URL) and
// draws each snapshot into the tables and four uPlot charts. The token is kept in this tab's
// sessionStorage only.
'use strict';

(function dashboard() {
  const POINTS_KEPT = 300;
  const RECONNECT_MS = 5000;
  const history = { at: [], stock: new Map(), claims: [], decisions: [], p99: [], lag: new Map() };
  const charts = {};
  let controller;

  const $ = (selector) => document.querySelector(selector);
  const status = (state, text) => {
    $('#status').dataset.state = state;
    $('#status').textContent = text;
  };
  const cell = (text, field) => {
    const td = document.createElement('td');
    td.textContent = text;
    if (field) td.dataset.field = field;
    return td;
  };
  const rate = (n) => (Math.round(n * 10) / 10).toString();

  function keep(list, value) {
    list.push(value);
    if (list.length > POINTS_KEPT) list.shift();
  }

  /** A series per key (sale, group): a key seen late is padded with nulls before it appeared. */
  function keepKeyed(map, values) {
    const length = history.at.length;
    for (const [key, value] of values) {
      if (!map.has(key)) map.set(key, new Array(length - 1).fill(null));
      keep(map.get(key), value);
    }
    for (const [key, list] of map) if (!values.has(key)) keep(list, null);
    for (const list of map.values()) while (list.length > history.at.length) list.shift();
  }

  function draw(id, labels, data) {
    const element = $(id);
    const width = Math.max(320, element.clientWidth || 480);
    const shape = labels.join('\u0000');
    if (!charts[id] || charts[id].shape !== shape) {
      if (charts[id]) charts[id].plot.destroy();
      const palette = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];
      const series = [{}, ...labels.map((label, i) => ({ label, stroke: palette[i % palette.length], width: 2 }))];
      charts[id] = { shape, plot: new window.uPlot({ width, height: 200, series, axes: [{}, { size: 60 }] }, data, element) };
    } else {
      charts[id].plot.setData(data);
    }
  }

  function renderSales(sales) {
    const body = $('#sales tbody');
    body.replaceChildren(
      ...sales.map((s) => {
        const row = document.createElement('tr');
        row.dataset.sale = s.saleId;
        row.append(
          cell(s.saleId),
          cell(s.status, 'status'),
          cell(String(s.stockRemaining), 'stock'),
          cell(rate(s.claimsPerSecond), 'claims'),
          cell(rate(s.decisionsPerSecond), 'decisions'),
          cell(s.claimToDecisionMsP99 === null ? '–' : `${s.claimToDecisionMsP99} ms`, 'p99'),
          cell(String(s.granted), 'granted'),
          cell(String(s.rejected), 'rejected'),
        );
        return row;
      }),
    );
  }

  function renderLags(lags, deadLetters) {
    const byGroup = new Map();
    for (const l of lags) byGroup.set(l.group, (byGroup.get(l.group) ?? 0) + l.lag);
    $('#lags tbody').replaceChildren(
      ...[...byGroup].map(([group, lag]) => {
        const row = document.createElement('tr');
        row.dataset.group = group;
        row.append(cell(group), cell(String(lag), 'lag'));
        return row;
      }),
    );
    $('#dead-letters').textContent = String(deadLetters);
    return byGroup;
  }

  function renderMismatches(mismatches) {
    $('#mismatches tbody').replaceChildren(
      ...[...mismatches].reverse().map((m) => {
        const row = document.createElement('tr');
        row.append(cell(new Date(m.detectedAt).toISOString()), cell(m.saleId ?? '–'), cell(m.transactionId), cell(m.kind, 'kind'));
        return row;
      }),
    );
  }

  function render(snapshot) {
    status('live', snapshot.following ? 'live' : 'live (joining the topics…)');
    $('#status').dataset.following = String(snapshot.following);
    renderSales(snapshot.sales);
    const lagByGroup = renderLags(snapshot.lags, snapshot.deadLetters);
    renderMismatches(snapshot.mismatches);

    keep(history.at, snapshot.at / 1000);
    keepKeyed(history.stock, new Map(snapshot.sales.map((s) => [s.saleId, s.stockRemaining])));
    keep(
      history.claims,
      snapshot.sales.reduce((n, s) => n + s.claimsPerSecond, 0),
    );
    keep(
      history.decisions,
      snapshot.sales.reduce((n, s) => n + s.decisionsPerSecond, 0),
    );
    const p99s = snapshot.sales.map((s) => s.claimToDecisionMsP99).filter((v) => v !== null);
    keep(history.p99, p99s.length ? Math.max(...p99s) : null);
    keepKeyed(history.lag, lagByGroup);

    draw('#chart-stock', [...history.stock.keys()], [history.at, ...history.stock.values()]);
    draw('#chart-rates', ['claims/s', 'decisions/s'], [history.at, history.claims, history.decisions]);
    draw('#chart-p99', ['p99 ms'], [history.at, history.p99]);
    draw('#chart-lag', [...history.lag.keys()], [history.at, ...history.lag.values()]);
  }

  /** Server-sent events, parsed as the EventSource spec says: blocks end with a blank line. */
  async function follow(token) {
    controller?.abort();
    controller = new AbortController();
    status('idle', 'connecting…');
    const res = await fetch('/dashboard/stream', { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      status('error', `refused (${res.status}): ${body.error ?? 'no reason given'}`);
      return false;
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = block.split('\n');
        const event = lines
          .find((l) => l.startsWith('event:'))
          ?.slice(6)
          .trim();
        const data = lines
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        if (event === 'snapshot') render(JSON.parse(data));
        if (event === 'expired') {
          status('error', 'token expired: paste a new one');
          return false;
        }
      }
    }
    return true;
  }

  async function connect(token) {
    sessionStorage.setItem('flashsale.operatorToken', token);
    for (;;) {
      const again = await follow(token).catch((err) => err.name !== 'AbortError');
      if (!again || controller.signal.aborted) return;
      status('error', 'stream ended: reconnecting…');
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    }
  }

  $('#connect').addEventListener('submit', (e) => {
    e.preventDefault();
    void connect($('#token').value.trim());
  });
  const saved = sessionStorage.getItem('flashsale.operatorToken');
  if (saved) void connect(saved);
})();
