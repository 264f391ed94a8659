// Drives the ops dashboard in headless Chromium while policy changes are produced with kcat.
// Run by .ci/dashboard-check against a running dev-mode service; exits non-zero on any failure.
import { chromium } from 'playwright-core';
import { spawnSync } from 'node:child_process';

const url = process.env.DASHBOARD_URL ?? 'http://localhost:18080/';
const broker = process.env.KAFKA_BROKER ?? 'localhost:19092';
const screenshot = process.env.SCREENSHOT ?? 'target/dashboard.png';
const origin = new URL(url).origin;
const run = Date.now().toString(36);
const id = (n) => `dash-${run}-${n}`;
// The browser's own clock is set far from the service's, so a countdown computed from it would be wrong.
const BROWSER_TIME = new Date('2001-02-03T04:05:06Z');
const DAY = 86400000;

let passed = 0;
function check(ok, what, detail) {
  if (!ok) throw new Error(`FAILED: ${what}${detail === undefined ? '' : ` (${detail})`}`);
  passed += 1;
  console.log(`ok ${passed} - ${what}`);
}

async function eventually(what, probe, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) { check(true, what); return last; }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  check(false, what, `not within ${timeoutMs / 1000} s; last saw ${JSON.stringify(last)}`);
}

async function api(path) {
  const response = await fetch(new URL(path, origin));
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}`);
  return response.json();
}

function produce(key, type, data) {
  const value = JSON.stringify({ specversion: '1.0', id: `${key}-${type}`, type, source: 'urn:test', data });
  const kcat = spawnSync('kcat', ['-P', '-b', broker, '-t', 'policy-changes', '-k', key,
    '-H', 'content-type=application/cloudevents+json'], { input: `${value}\n`, encoding: 'utf8' });
  if (kcat.status !== 0) throw new Error(`kcat failed: ${kcat.stderr}`);
  console.log(`   produced ${type} ${key}`);
}

/**
 * Whether what `inked` draws stays inside the box of `box`: the 80 px above and below that box look
 * the same with `inked` shown and hidden (by a style rule, which outlives the page re-rendering a
 * list). Only the box's own columns are compared: the countdowns beside it tick.
 */
async function inkStaysInside(page, box, inked) {
  await page.locator(box).first().evaluate((e) => e.scrollIntoView({ block: 'center' }));
  const b = await page.locator(box).first().boundingBox();
  const regions = [{ x: b.x, y: Math.max(0, b.y - 80), width: b.width, height: Math.min(80, b.y) },
    { x: b.x, y: b.y + b.height, width: b.width, height: 80 }];
  const shots = () => Promise.all(regions.map((clip) => page.screenshot({ clip })));
  const shown = await shots();
  const rule = await page.addStyleTag({ content: `${inked} { visibility: hidden !important; }` });
  const hidden = await shots();
  await rule.evaluate((e) => e.remove());
  return shown.every((s, i) => s.equals(hidden[i]));
}

const text = (page, selector) => page.locator(selector).first().textContent({ timeout: 2000 }).catch(() => null);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
const page = await context.newPage();
try {
  const problems = [];
  const foreign = [];
  let navigations = 0;
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`); });
  page.on('request', (r) => { if (!r.url().startsWith(`${origin}/`)) foreign.push(r.url()); });
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations += 1; });
  await page.clock.install({ time: BROWSER_TIME });

  await page.goto(url);
  await eventually('the page is live: status, moratoria and rejections loaded, notification stream open', () =>
    page.evaluate(() => document.querySelector('#ops[data-loaded]') && document.querySelector('#moratoria[data-loaded]')
      && document.querySelector('#rejections-panel[data-loaded]')
      && document.getElementById('stream-status').dataset.state === 'live'));
  await page.evaluate(() => { window.__sameDocument = 'still here'; });
  const initialNotifications = await page.locator('#notifications li').count();
  check(await page.locator('a[href="/q/swagger-ui"]').count() === 1
    && await page.locator('a[href="/q/openapi"]').count() === 1, 'links to /q/swagger-ui and /q/openapi');

  const status = await api('/ops/status');
  const shown = Date.parse((await text(page, '#service-clock')).replace(' UTC', 'Z').replace(' ', 'T'));
  check(Math.abs(shown - Date.parse(status.clock)) < 5000, 'the header shows the service clock, not the browser\'s',
    `shown ${new Date(shown).toISOString()}, service ${status.clock}`);

  // --- produce, with the page open and never reloaded ---
  produce(id(1), 'moratorium.announced', { policyId: id(1), vendor: 'Acme', product: 'Vision', segments: ['police'],
    effectiveFrom: '2026-01-01', effectiveUntil: '2030-01-01' });
  produce(id(2), 'moratorium.announced', { policyId: id(2), vendor: 'Acme', product: 'Lens',
    segments: ['police', 'border control'], effectiveFrom: '2099-01-01', effectiveUntil: null,
    exemptions: [{ organization: 'Thorn', purpose: 'finding missing children' }] });
  // markup, and a right-to-left override (U+202E) left open at the end of the vendor's name
  const hostile = '<img src=x onerror="window.__xss=1">\u202e';
  produce(id(3), 'moratorium.announced', { policyId: id(3), vendor: hostile, product: '<b>Scan</b>',
    segments: ['police'], effectiveFrom: '2026-01-01', effectiveUntil: '2030-01-01' });
  produce(id(4), 'moratorium.exemption-granted', { policyId: id(4), organization: 'Thorn' });
  // "Zalgo" text: combining marks on one letter. Those the page's font has (U+0300...) are drawn
  // stacked, far above the line (150 of them on the vendor); those it lacks (U+1AB0...) as boxes side
  // by side, in a cluster no line may break (90 on the product, each followed by an invisible joiner,
  // U+200D, which keeps them on their letter and breaks a run of marks counted one after another)
  const marksOn = (base, first, count, n, joiner) => base
    + Array.from({ length: n }, (_, i) => String.fromCodePoint(first + i % count) + joiner).join('');
  produce(id(5), 'moratorium.announced', { policyId: id(5), vendor: marksOn('Zalgo', 0x300, 13, 150, ''),
    product: marksOn('Stack', 0x1ab0, 14, 90, '\u200d'), segments: ['police'], effectiveFrom: '2026-01-01',
    effectiveUntil: '2030-01-01' });

  const expected = 'Police access to Acme Vision suspended from 2026-01-01 until 2030-01-01.';
  await eventually(`the live list shows "${expected}"`, () =>
    page.locator(`#notifications li[data-policy-id="${id(1)}"] .message`).textContent({ timeout: 500 })
      .then((t) => t === expected, () => false));
  // Read the API again on each try: the second announcement may be committed (and reach the feed)
  // a moment after the first one was shown.
  await eventually('the scheduled announcement\'s notification shows the API\'s message text', async () => {
    const fromApi = (await api('/notifications?after=0&limit=500')).find((n) => n.policyId === id(2));
    return fromApi !== undefined
      && text(page, `#notifications li[data-policy-id="${id(2)}"] .message`).then((t) => t === fromApi.message);
  });
  // all three announcements arrive (on a loaded machine the third may trail the first two)
  const listed = () => page.locator('#notifications li').evaluateAll((lis) => lis.map((li) => Number(li.dataset.sequence)));
  await eventually('all three announcements are listed live', () =>
    listed().then((seqs) => seqs.length >= initialNotifications + 3));
  const sequences = await listed();
  check(sequences.every((s, i) => i === 0 || sequences[i - 1] > s),
    'notifications are listed newest first, each once', sequences.join(','));

  const activeRow = `#moratoria-active tr[data-policy-id="${id(1)}"]`;
  await eventually('the active moratoria list shows the new policy', () => page.locator(activeRow).count());
  const countdown = await text(page, `${activeRow} .countdown`);
  const days = Number(/ends in ([\d,]+) d/.exec(countdown)?.[1].replaceAll(',', ''));
  const expectedDays = Math.floor((Date.parse('2030-01-01T00:00:00Z') - Date.parse((await api('/ops/status')).clock)) / DAY);
  check(Math.abs(days - expectedDays) <= 1, 'its countdown to the end is computed from the service clock',
    `"${countdown}", expected about ${expectedDays} d`);
  await page.waitForTimeout(1500);
  check(await text(page, `${activeRow} .countdown`) !== countdown, 'the countdown is live');

  const scheduledRow = `#moratoria-scheduled tr[data-policy-id="${id(2)}"]`;
  await eventually('the scheduled moratoria list shows the future policy with its exemption', () =>
    text(page, scheduledRow).then((t) => t?.includes('Thorn') && t.includes('finding missing children')));
  const scheduled = await text(page, `${scheduledRow} .countdown`);
  check(/starts in [\d,]+ d \d\d:\d\d:\d\d/.test(scheduled) && scheduled.includes('ends: until further notice'),
    'a scheduled moratorium counts down to its start and says it runs until further notice', scheduled);

  // its own record's rejection: the service may have rejected others for the same reason before
  const rejection = `#rejections li[data-reason="unknown-policy"]:has-text("${id(4)}")`;
  await eventually('the bad record shows up under rejections with reason unknown-policy', () =>
    text(page, rejection).then((t) => t?.includes(`no policy "${id(4)}" has been announced`)));
  check((await text(page, `${rejection} .badge`)) === 'unknown-policy' && (await text(page, `${rejection} code`)) === id(4),
    'the rejection shows its reason code and record key');

  await eventually('API text is shown as text, not markup', () =>
    text(page, `#moratoria-active tr[data-policy-id="${id(3)}"] strong`).then((t) => t === `${hostile} <b>Scan</b>`));
  check(await page.evaluate(() => window.__xss === undefined && document.querySelectorAll('main img, main b').length === 0),
    'no element or script was injected from API text');
  check(await page.evaluate((policyId) => {
    const strong = document.querySelector(`#moratoria-active tr[data-policy-id="${policyId}"] strong`);
    const walker = document.createTreeWalker(strong, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const i = node.data.indexOf('<b>Scan</b>');
      if (i < 0) continue;
      const left = (k) => { const r = document.createRange(); r.setStart(node, k); r.setEnd(node, k + 1); return r.getBoundingClientRect().left; };
      return left(i) < left(i + 3) && left(i + 3) < left(i + 6); // "<" left of "S" left of "n"
    }
    return false;
  }, id(3)), 'a right-to-left override in a vendor\'s name does not turn the product after it around');
  const spoofed = await text(page, `#notifications li[data-policy-id="${id(3)}"] .message`);
  check(spoofed?.startsWith('Police access to <img') && spoofed.includes(' <b>Scan</b> suspended') && !spoofed.includes('\u202e'),
    'the notification\'s sentence shows the vendor without its override', spoofed);

  const stackedRow = `#moratoria-active tr[data-policy-id="${id(5)}"]`;
  const stackedItem = `#notifications li[data-policy-id="${id(5)}"]`;
  await eventually('the policy named with stacked marks is listed and announced', async () =>
    (await page.locator(stackedRow).count()) > 0 && (await page.locator(stackedItem).count()) > 0);
  const marks = (t) => (t?.match(/\p{M}/gu) ?? []).length;
  check(marks(await text(page, `${stackedRow} strong`)) === 16 && marks(await text(page, `${stackedItem} .message`)) === 16,
    'each run of combining marks (joiners between them or not) is shown as its first eight');
  check(await page.locator('#moratoria-active').evaluate((t) => t.closest('table').offsetWidth <= t.closest('table').parentElement.clientWidth),
    'and does not widen the table past its panel');
  check(await inkStaysInside(page, `${stackedRow} td:first-child`, `${stackedRow} strong`),
    'stacked combining marks in a vendor\'s name do not draw over the rows around its cell');
  check(await inkStaysInside(page, `${stackedItem} .message`, `${stackedItem} .message`),
    'nor over the notifications around its sentence, or its own line of type and time');

  // Counted from the status read before producing: the service may hold moratoria of its own already.
  await eventually('the status tiles show the counts and lag from /ops/status', () => page.evaluate((status) =>
    document.getElementById('ops-active').textContent === String(status.activeMoratoria + 3)
    && document.getElementById('ops-scheduled').textContent === String(status.scheduledMoratoria + 1)
    && /^\d+$/.test(document.getElementById('ops-consumer-lag').textContent)
    && /^\d+$/.test(document.getElementById('ops-outbox-backlog').textContent)
    && /^\d+\.\d s$/.test(document.getElementById('ops-outbox-age').textContent)
    && document.getElementById('ops-state-topic').textContent === 'ok', status), 15000);

  check(await page.evaluate(() => window.__sameDocument) === 'still here' && navigations === 1,
    'all of it arrived without a reload', `navigations: ${navigations}`);
  check(foreign.length === 0, 'nothing was loaded from elsewhere', foreign.join(' '));
  check(problems.length === 0, 'no script errors in the page', problems.join('; '));
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.setViewportSize({ width: 760, height: 900 });
  await page.screenshot({ path: screenshot.replace(/\.png$/, '-narrow.png'), fullPage: true });
  console.log(`   screenshots: ${screenshot} (1400 px wide) and ${screenshot.replace(/\.png$/, '-narrow.png')} (760 px)`);

  // --- a page left open over a database made anew (rm -rf target/embedded, a restore) ---
  // Its first read of the history is answered with one notification more, numbered far past the
  // service's own, as a page that had read another database would hold. The real service refuses a
  // stream after it (400); the page has to start over from the service's notifications and go on live.
  const stale = await context.newPage();
  const staleProblems = [];
  stale.on('pageerror', (e) => staleProblems.push(`page error: ${e.message}`));
  let historyFaked = false;
  await stale.route((u) => u.pathname === '/notifications' && u.searchParams.get('after') === '0', async (route) => {
    if (historyFaked) return route.continue();
    historyFaked = true;
    const real = await (await route.fetch()).json();
    return route.fulfill({ json: [...real, { notificationId: 'from-another-database', type: 'access.suspended',
      policyId: 'gone', occurredAt: '2020-01-01T00:00:00Z', message: 'From a database since made anew.', sequence: 99999999 }] });
  });
  await stale.goto(url);
  await eventually('a page holding a notification from another database shows it first', () =>
    stale.locator('#notifications li[data-policy-id="gone"]').count(), 15000);
  await eventually('then, refused its stream, starts over from the service\'s notifications and goes live', () =>
    stale.evaluate(() => document.getElementById('stream-status').dataset.state === 'live'
      && document.querySelectorAll('#notifications li[data-policy-id="gone"]').length === 0
      && document.querySelectorAll('#notifications li').length > 0), 30000);
  produce(id(6), 'moratorium.announced', { policyId: id(6), vendor: 'Acme', product: 'Anew', segments: ['police'],
    effectiveFrom: '2026-01-01', effectiveUntil: '2030-01-01' });
  await eventually('and shows what comes next, live', () =>
    stale.locator(`#notifications li[data-policy-id="${id(6)}"]`).count());
  check(staleProblems.length === 0, 'no script errors in that page', staleProblems.join('; '));
} catch (e) {
  console.error(e.message);
  process.exitCode = 1;
  await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
  console.error(`   screenshot of the failure: ${screenshot}`);
} finally {
  await browser.close();
}
if (!process.exitCode) console.log(`dashboard check: ${passed} checks passed`);
