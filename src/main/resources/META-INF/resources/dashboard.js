// Ops dashboard of the moratorium service. Plain JS, no dependencies.
// Everything that comes from the API is put into the page as text (textContent), never as HTML.
'use strict';

(() => {
  const MAX_NOTIFICATIONS = 50;
  const MAX_REJECTIONS = 25;
  const NOTIFICATION_TYPES = ['access.suspended', 'access.suspension-extended', 'access.restored',
    'access.expiry-approaching', 'access.withdrawn', 'exemption.granted', 'exemption.revoked'];

  const $ = (id) => document.getElementById(id);

  /** Builds an element; string children become text nodes, null/undefined/false ones are skipped. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined) node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      // a record as received is shown as it is, in a box of its own that scrolls (dashboard.css)
      node.append(child instanceof Node ? child : document.createTextNode(tag === 'pre' ? String(child) : legible(String(child))));
    }
    return node;
  }

  /**
   * Text with at most eight combining marks in a row. A producer's name may stack a hundred on
   * one letter ("Zalgo" text): drawn, they cover the rows above and below; where the font lacks
   * them, each is a box as wide as a letter, and the cluster (which no line may break) widens its
   * column past the page. No writing system stacks more than a few. Invisible format characters
   * between them (a zero-width joiner after each) keep the marks on their letter, so they do not
   * end a run, and those after the eighth mark go with the marks.
   */
  const legible = (text) => text.replace(/((?:\p{M}\p{Cf}*){8})[\p{M}\p{Cf}]+/gu, '$1');

  async function getJson(url) {
    const response = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
    return response.json();
  }

  /** Runs task now and again `ms` after each run ends, so runs never overlap. */
  function every(ms, task) {
    const run = () => Promise.resolve().then(task).catch(() => {}).finally(() => setTimeout(run, ms));
    run();
  }

  function showError(id, error) {
    const node = $(id);
    node.hidden = !error;
    node.textContent = error ? String(error.message || error) : '';
  }

  // --- time: the service clock, which may be replayed, not the browser's -----------------------

  let clockBase = null; // { service: ms since epoch per the service, local: performance.now() then }

  const serviceNow = () => (clockBase ? clockBase.service + (performance.now() - clockBase.local) : null);

  /** RFC 3339 (any number of fraction digits) or epoch seconds to ms since epoch; null when absent. */
  function parseInstant(value) {
    if (value === null || value === undefined || value === '') return null;
    if (typeof value === 'number') return value * 1000;
    const ms = Date.parse(String(value).replace(/(\.\d{3})\d+/, '$1'));
    return Number.isNaN(ms) ? null : ms;
  }

  /** "2026-01-01" for midnight UTC, else "2026-01-01 12:30:00 UTC". */
  function formatInstant(value) {
    const ms = parseInstant(value);
    if (ms === null) return value === null || value === undefined ? '' : String(value);
    const iso = new Date(ms).toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
  }

  function formatDuration(ms) {
    const total = Math.max(0, Math.floor(ms / 1000));
    const days = Math.floor(total / 86400);
    const hms = [Math.floor(total / 3600) % 24, Math.floor(total / 60) % 60, total % 60]
      .map((n) => String(n).padStart(2, '0')).join(':');
    return days > 0 ? `${days.toLocaleString('en-US')} d ${hms}` : hms;
  }

  function countdownText(label, untilMs, now) {
    if (untilMs === null) return `${label}: until further notice`;
    const left = untilMs - now;
    return left > 0 ? `${label} in ${formatDuration(left)}` : `${label}: due now`;
  }

  function renderCountdown(node) {
    const now = serviceNow();
    if (now === null) { node.textContent = '…'; return; }
    const from = parseInstant(node.dataset.from);
    const until = parseInstant(node.dataset.until);
    const lines = node.dataset.status === 'SCHEDULED'
      ? [countdownText('starts', from, now), countdownText('ends', until, now)]
      : [countdownText('ends', until, now)];
    node.replaceChildren(...lines.map((line) => el('span', { class: 'line' }, line)));
  }

  function tick() {
    const now = serviceNow();
    if (now !== null) {
      const clock = $('service-clock');
      const iso = new Date(now).toISOString();
      clock.textContent = `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
      clock.dateTime = iso;
      const replayed = Math.abs(now - Date.now()) > 60000;
      $('clock-note').hidden = !replayed; // e.g. a replayed clock: countdowns follow the service's time
    }
    document.querySelectorAll('.countdown').forEach(renderCountdown);
  }

  // --- operational status ------------------------------------------------------------------------

  const integer = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : '–');
  const seconds = (n) => (typeof n === 'number' ? `${n.toFixed(1)} s` : '–');

  function setTile(id, text, warn) {
    const node = $(id);
    node.textContent = text;
    node.dataset.level = warn ? 'warn' : 'ok';
  }

  // moratorium-state as the service last saw it: what would make a subscriber's rebuilt table wrong
  // (runbook: MoratoriumStateTopicPartitionsAdded, MoratoriumStateTopicDeletesStates)
  function stateTopic(t) {
    const problems = [];
    if (t && typeof t.partitionsAdded === 'number' && t.partitionsAdded > 0) {
      problems.push(`${integer(t.partitionsAdded)} partition${t.partitionsAdded === 1 ? '' : 's'} added`);
    }
    if (t && t.keepsLastStates === false) problems.push('deletes states');
    if (problems.length > 0) return { text: problems.join(', '), warn: true };
    const known = t && typeof t.partitionsAdded === 'number' && t.keepsLastStates === true;
    return { text: known ? 'ok' : '–', warn: false };
  }

  async function refreshOps() {
    try {
      const sent = performance.now();
      const status = await getJson('/ops/status');
      const clock = parseInstant(status.clock);
      if (clock !== null) clockBase = { service: clock, local: (sent + performance.now()) / 2 };
      setTile('ops-consumer-lag', integer(status.consumerLag), status.consumerLag > 0);
      setTile('ops-outbox-backlog', integer(status.outboxBacklog), status.outboxBacklog > 0);
      setTile('ops-outbox-age', seconds(status.outboxOldestAgeSeconds), status.outboxOldestAgeSeconds > 10);
      setTile('ops-time-lag', seconds(status.timeDrivenLagSeconds), status.timeDrivenLagSeconds > 5);
      setTile('ops-active', integer(status.activeMoratoria), false);
      setTile('ops-scheduled', integer(status.scheduledMoratoria), false);
      const topic = stateTopic(status.stateTopic);
      setTile('ops-state-topic', topic.text, topic.warn);
      $('ops').dataset.loaded = 'true';
      showError('ops-error', null);
      tick();
    } catch (e) {
      showError('ops-error', e);
    }
  }

  // --- moratoria ---------------------------------------------------------------------------------

  async function fetchPolicies(status) {
    const items = [];
    // the keyset cursor (next) costs the same on every page; deep offsets are capped by the API
    let after = null;
    for (let page = 0; page < 20; page++) {
      const cursor = after === null ? '' : `&after=${encodeURIComponent(after)}`;
      const body = await getJson(`/moratoria?status=${status}&size=500${cursor}`);
      items.push(...body.items);
      if (!body.next) break;
      after = body.next;
    }
    return items;
  }

  /**
   * A producer's name in an element of its own that isolates its direction (<bdi>): a name may hold a
   * right-to-left override (U+202E), which the service keeps as written, and without isolation it
   * turned the names and figures after it in the same line around ("Acme" then "Vision" read as
   * "noisiV").
   */
  const name = (text) => el('bdi', {}, text);

  const who = (segments) => (segments || []).flatMap((s, i) => [i > 0 ? ', ' : null, s === '*' ? 'everyone' : name(s)]);

  function interval(p) {
    const from = formatInstant(p.effectiveFrom);
    return p.effectiveUntil ? `${from} – ${formatInstant(p.effectiveUntil)}` : `${from} – until further notice`;
  }

  function exemptions(list) {
    if (!list || list.length === 0) return el('span', { class: 'muted' }, 'none');
    return el('ul', { class: 'exemptions' }, list.map((x) =>
      el('li', {}, el('strong', {}, name(x.organization)), x.purpose ? [' — ', name(x.purpose)] : null)));
  }

  function policyRow(p) {
    const countdown = el('span', { class: 'countdown', 'data-status': p.status,
      'data-from': p.effectiveFrom, 'data-until': p.effectiveUntil });
    renderCountdown(countdown);
    return el('tr', { 'data-policy-id': p.policyId, 'data-status': p.status },
      el('td', {}, el('strong', {}, name(p.vendor), ' ', name(p.product)), el('br'), el('code', {}, p.policyId)),
      el('td', {}, who(p.segments)),
      el('td', {}, interval(p)),
      el('td', {}, countdown),
      el('td', {}, exemptions(p.exemptions)));
  }

  function renderPolicies(status, policies) {
    const key = status === 'SCHEDULED' ? 'effectiveFrom' : 'effectiveUntil';
    const at = (p) => parseInstant(p[key]) ?? Infinity;
    policies.sort((a, b) => at(a) - at(b));
    const id = `moratoria-${status.toLowerCase()}`;
    const body = $(id);
    body.replaceChildren(...policies.map(policyRow));
    if (policies.length === 0) {
      body.append(el('tr', { class: 'empty' }, el('td', { colspan: 5 }, `No ${status.toLowerCase()} moratoria.`)));
    }
    $(`${id}-count`).textContent = `(${policies.length})`;
  }

  async function refreshMoratoria() {
    try {
      const [active, scheduled] = await Promise.all([fetchPolicies('ACTIVE'), fetchPolicies('SCHEDULED')]);
      renderPolicies('ACTIVE', active);
      renderPolicies('SCHEDULED', scheduled);
      $('moratoria').dataset.loaded = 'true';
      showError('moratoria-error', null);
    } catch (e) {
      showError('moratoria-error', e);
    }
  }

  let moratoriaSoon = null;
  function refreshMoratoriaSoon() {
    clearTimeout(moratoriaSoon);
    moratoriaSoon = setTimeout(refreshMoratoria, 200);
  }

  // --- notifications: history, then the live stream ----------------------------------------------

  let lastSequence = 0;
  const typeClass = (type) => `type-${String(type).replace(/[^a-z-]/g, '-')}`;

  function addNotification(n) {
    if (typeof n.sequence !== 'number' || n.sequence <= lastSequence) return; // already shown
    lastSequence = n.sequence;
    const list = $('notifications');
    list.prepend(el('li', { 'data-sequence': n.sequence, 'data-type': n.type, 'data-policy-id': n.policyId },
      el('div', { class: 'meta' },
        el('span', { class: `badge ${typeClass(n.type)}` }, n.type),
        el('time', { datetime: n.occurredAt }, formatInstant(n.occurredAt)),
        el('code', {}, n.policyId),
        el('span', { class: 'muted' }, `#${n.sequence}`)),
      el('p', { class: 'message' }, n.message)));
    while (list.children.length > MAX_NOTIFICATIONS) list.lastElementChild.remove();
    $('notifications-empty').hidden = true;
  }

  /** GET /notifications is oldest first, so page to its end and keep the newest. */
  async function loadRecentNotifications() {
    let recent = [];
    for (let page = 0, after = 0; page < 100; page++) {
      const batch = await getJson(`/notifications?after=${after}&limit=500`);
      if (batch.length === 0) break;
      recent = recent.concat(batch).slice(-MAX_NOTIFICATIONS);
      after = batch[batch.length - 1].sequence;
      if (batch.length < 500) break;
    }
    recent.forEach(addNotification);
  }

  function setStreamState(state) {
    const node = $('stream-status');
    node.dataset.state = state;
    node.textContent = state;
  }

  function onStreamEvent(event) {
    let n;
    try { n = JSON.parse(event.data); } catch { return; }
    if (typeof n.sequence !== 'number') n.sequence = Number(event.lastEventId);
    setStreamState('live');
    addNotification(n);
    refreshMoratoriaSoon();
  }

  // On an error we reopen the stream ourselves, with ?after=<last shown>: EventSource's own reconnect
  // gives up for good on an answer that is not a stream (a 503 while the replica serves its cap).
  // Without a known position (the history could not be read) the stream starts with what comes next.
  let historyRead = false;
  function openStream() {
    setStreamState('connecting');
    const from = historyRead || lastSequence > 0 ? `?after=${lastSequence}` : '';
    const source = new EventSource(`/notifications/stream${from}`);
    source.onopen = () => setStreamState('live');
    source.onmessage = onStreamEvent;
    NOTIFICATION_TYPES.forEach((type) => source.addEventListener(type, onStreamEvent));
    source.onerror = () => {
      source.close();
      setStreamState('reconnecting');
      setTimeout(reopenStream, 3000);
    };
  }

  // The service refuses (400) a cursor past its newest notification: one from a database since made
  // anew or restored (`rm -rf target/embedded` under an open dashboard). Waiting on it, the stream
  // would show nothing until as many notifications again had passed; so start over from the service's
  // own. Any other answer (the service down, busy) leaves the position as it is.
  async function reopenStream() {
    if (lastSequence > 0) {
      const check = await fetch(`/notifications?after=${lastSequence}&limit=1`,
        { headers: { Accept: 'application/json' }, cache: 'no-store' }).catch(() => null);
      if (check && check.status === 400) {
        lastSequence = 0;
        historyRead = false;
        $('notifications').replaceChildren();
        $('notifications-empty').hidden = false;
        await loadRecentNotifications().then(() => { historyRead = true; }, () => {});
      }
    }
    openStream();
  }

  // --- rejections ----------------------------------------------------------------------------------

  let rejectionsShown = '';

  function rejectionItem(r) {
    return el('li', { 'data-rejection-id': r.id, 'data-reason': r.reason },
      el('div', { class: 'meta' },
        el('span', { class: 'badge reason' }, r.reason),
        el('time', { datetime: r.receivedAt }, formatInstant(r.receivedAt)),
        r.key !== null && r.key !== undefined ? el('code', {}, name(r.key)) : el('span', { class: 'muted' }, 'no key'),
        el('span', { class: 'muted' }, `${r.topic}-${r.partition}@${r.offset}`),
        r.retryCount > 0 ? el('span', { class: 'muted' }, `retried ${r.retryCount}×`) : null),
      el('p', { class: 'message' }, r.message),
      el('details', {}, el('summary', {}, `record (${r.valueSize} bytes)`), el('pre', {}, r.value ?? '')));
  }

  /**
   * The newest open rejections in one request (order=newest), and how many are open from the
   * figures the service counts every few seconds (/ops/status, counted up to 10,000): never every
   * older page, which after a producer's bad day was tens of thousands of rows every 3 s.
   */
  async function refreshRejections() {
    try {
      const [recent, ops] = await Promise.all([
        getJson(`/rejections?status=OPEN&order=newest&limit=${MAX_REJECTIONS}`),
        getJson('/ops/status')]);
      // a short page holds them all; a full one is at least as many as the (few seconds old) count
      const total = recent.length < MAX_REJECTIONS ? recent.length : Math.max(ops.openRejections, recent.length);
      const atLeast = recent.length >= MAX_REJECTIONS && !ops.openRejectionsExact ? '+' : '';
      const shown = JSON.stringify(recent.map((r) => [r.id, r.retryCount, r.status]));
      if (shown !== rejectionsShown) { // re-render only on change, so an opened <details> stays open
        rejectionsShown = shown;
        $('rejections').replaceChildren(...recent.map(rejectionItem));
      }
      $('rejections-count').textContent = total > recent.length ? `(${total}${atLeast}, newest ${recent.length} shown)` : `(${total})`;
      $('rejections-empty').hidden = total > 0;
      $('rejections-panel').dataset.loaded = 'true';
      showError('rejections-error', null);
    } catch (e) {
      showError('rejections-error', e);
    }
  }

  // --- start -------------------------------------------------------------------------------------

  every(2000, refreshOps);
  every(5000, refreshMoratoria);
  every(3000, refreshRejections);
  setInterval(tick, 1000);
  loadRecentNotifications().then(() => { historyRead = true; }, () => {}).finally(openStream);
})();
