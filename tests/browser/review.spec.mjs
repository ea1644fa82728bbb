// The steward's workplace in a real browser: headless Chromium driven by playwright-core, against a canond that
// the [browser] Catch2 test (tests/pg_web_test.cc) started with a steward token, one queued pair (Ann Wexford),
// a person with two touches and a quarantined lead source (Priya Raman, +44 20 7946 0321) and a dead letter.
// Steps: sign in, decide the pair by keyboard, open and unmerge the merged entity, search Priya by her national
// phone number, open her entity, read the quality page and the drift report, sign out.
//
//   node review.spec.mjs --url http://127.0.0.1:PORT --token T --actor NAME [--chromium PATH] [--out DIR]
//
// Exits 0 when every step passed; otherwise prints which step or element failed, saves failure.png in --out,
// and exits 1. Screenshots of each view (1366x768, a laptop screen; full page) go to --out too.
import {chromium} from 'playwright-core';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

const kTimeoutMs = 10000;

function Args(argv) {
  const out = {chromium: '/usr/bin/chromium', out: tmpdir(), token: '', actor: 'browser-steward'};
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in out) && key !== 'url') throw new Error('unknown option ' + argv[i]);
    if (argv[i + 1] === undefined) throw new Error(argv[i] + ' needs a value');
    out[key] = argv[i + 1];
  }
  if (!out.url) throw new Error('usage: node review.spec.mjs --url http://127.0.0.1:PORT [--token T] [--actor NAME]');
  return out;
}

const args = Args(process.argv);
let step = 'start';
let checks = 0;

function Check(ok, what) {
  if (!ok) throw new Error(what);
  ++checks;
}

// Waits until `selector` matches exactly `n` elements (the page renders after fetches).
async function Count(page, selector, n, what) {
  try {
    await page.waitForFunction(([s, want]) => document.querySelectorAll(s).length === want, [selector, n],
                               {timeout: kTimeoutMs});
  } catch (e) {
    const seen = await page.locator(selector).count();
    throw new Error(what + ': expected ' + n + ' of ' + selector + ', saw ' + seen);
  }
  ++checks;
}

async function Visible(page, selector, what) {
  try {
    await page.locator(selector).first().waitFor({state: 'visible', timeout: kTimeoutMs});
  } catch (e) {
    throw new Error('missing element ' + selector + ' (' + what + ')');
  }
  ++checks;
  return page.locator(selector).first();
}

async function TextOf(page, selector, want, what) {
  const loc = await Visible(page, selector, what);
  try {
    await page.waitForFunction(([s, w]) => (document.querySelector(s)?.textContent || '').includes(w),
                               [selector, want], {timeout: kTimeoutMs});
  } catch (e) {
    throw new Error(what + ': ' + selector + ' says "' + (await loc.textContent()) + '", wanted "' + want + '"');
  }
  ++checks;
}

const profile = mkdtempSync(join(tmpdir(), 'canon-chromium-'));
let context;
let page;
const problems = [];
try {
  step = 'launch chromium';
  context = await chromium.launchPersistentContext(profile, {
    executablePath: args.chromium,
    headless: true,
    viewport: {width: 1366, height: 768},
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (e) => problems.push('script error: ' + e.message));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push('CSP: ' + m.text());
  });

  step = 'open the page; it asks to sign in';
  const res = await page.goto(args.url + '/admin/review');
  Check(res && res.status() === 200, 'GET /admin/review answered ' + (res && res.status()));
  await Visible(page, '#token-panel', 'the sign-in prompt after the 401');
  Check(await page.locator('#sign-out').isHidden(), 'sign out is offered before signing in');
  await page.fill('#token-input', args.token);
  await page.click('#token-save');
  await Visible(page, '#sign-out', 'sign out, once signed in');
  Check(await page.evaluate(() => sessionStorage.getItem('canon.token')) === args.token,
        'the token is not in sessionStorage');

  step = 'the queue shows the pair';
  await Count(page, '.queue-item', 1, 'queue');
  await TextOf(page, '.queue-item', 'Wexford', 'the queued pair names both contacts');

  step = 'open the pair by keyboard (j)';
  await page.fill('#actor', args.actor);
  await page.locator('#actor').press('Escape');  // leaves the field: keys go to the page again
  await page.keyboard.press('j');
  await Visible(page, '#do-approve', 'approve button');
  await Visible(page, '.queue-item.selected', 'the pair marked as selected');
  const rows = await page.locator('.wf-row').count();
  Check(rows >= 3, 'waterfall: expected the prior and at least two field rows, saw ' + rows);
  Check(await page.locator('.wf-row.pos').count() >= 1, 'waterfall: no positive (agreeing) row');
  Check(await page.locator('.wf-row[data-field="family_name"]').count() === 1, 'waterfall: no family_name row');
  await Visible(page, '#gauge .mark.total', 'total against the thresholds');
  await Visible(page, 'table.pair tr[data-field="email"].one-side', 'pair: e-mail only on one side, highlighted');
  await Visible(page, 'table.pair tr[data-field="last_name"].same', 'pair: the same last name');
  await TextOf(page, 'table.pair tr[data-field="job_title"]', '<img src=x', 'a job title that is markup, as text');
  Check(await page.locator('#detail img').count() === 0, 'a value was parsed as markup (an <img> in the page)');
  Check(await page.evaluate(() => window.xss) === undefined, 'a value ran as script');

  step = 'the ? key shows the shortcuts; Escape hides them';
  await page.keyboard.press('?');
  await TextOf(page, '#help', 'approve', 'the keyboard help');
  await page.screenshot({path: join(args.out, 'queue-pair.png'), fullPage: true});
  await page.keyboard.press('Escape');
  Check(await page.locator('#help').isHidden(), 'Escape did not close the help');

  step = 'defer it with d; it moves to the deferred queue';
  await page.keyboard.press('d');
  await TextOf(page, '#result', 'deferred by ' + args.actor, 'the defer result');
  await Count(page, '.queue-item', 0, 'pending queue after deferring');
  await page.selectOption('#queue-status', 'deferred');
  await Count(page, '.queue-item', 1, 'deferred queue');
  await page.locator('#queue-status').press('Escape');
  await page.keyboard.press('j');
  await TextOf(page, '#candidate-status', 'deferred', 'the deferred pair');

  step = 'approve it with a, as the typed actor';
  await page.keyboard.press('a');
  await TextOf(page, '#result', 'approved by ' + args.actor, 'the decision result');
  await Count(page, '.queue-item', 0, 'queue after approving');
  await Visible(page, '#queue-empty', 'the empty queue message');
  Check(await page.locator('qa').count() === 0, 'the actor name was parsed as markup');

  step = 'open the merged entity';
  await page.click('#result a[data-entity]');
  await Visible(page, '#entity-title', 'entity view');
  await Count(page, 'tr.member', 2, 'members of the merged entity');
  await Count(page, 'tr.touch', 2, 'touches of the merged entity');
  await TextOf(page, '.events', 'merge', 'audit events');
  await TextOf(page, 'table.values tr[data-field="email"]', 'record #', 'lineage of the e-mail value');
  const merged = await page.locator('#entity-title').textContent();

  step = 'unmerge one member';
  Check(await page.locator('#do-unmerge').isDisabled(), 'unmerge is enabled with nothing ticked');
  await page.locator('tr.member').nth(1).locator('input[type=checkbox]').check();
  await page.click('#do-unmerge');
  await TextOf(page, '#result', 'Split record', 'the unmerge result');
  await Count(page, 'tr.member', 1, 'members left after the unmerge');
  await TextOf(page, '#entity-title', merged, 'still the original entity');
  await page.click('#result a[data-entity]');  // the new contact
  await page.waitForFunction((m) => document.querySelector('#entity-title')?.textContent !== m, merged,
                             {timeout: kTimeoutMs});
  await Count(page, 'tr.member', 1, 'members of the new entity');

  step = 'search a person by her national phone number';
  await page.click('nav a[data-view="search"]');
  await Visible(page, '#search-q', 'the search box');
  await page.selectOption('#search-kind', 'phone');
  await page.fill('#search-q', '020 7946 0321');
  await page.fill('#search-country', 'gb');
  await page.click('#search-go');
  await Count(page, 'tr.result', 1, 'search results for 020 7946 0321 in GB');
  await TextOf(page, 'tr.result', 'Raman', 'the person found');
  await TextOf(page, '#search-summary', '+442079460321', 'the normalized query');
  await page.screenshot({path: join(args.out, 'search.png'), fullPage: true});

  step = 'the same person by e-mail, with the kind guessed';
  await page.selectOption('#search-kind', 'auto');
  await page.fill('#search-q', 'PRIYA@example.co.uk');
  await page.click('#search-go');
  await Count(page, 'tr.result', 1, 'search results for the e-mail');
  await TextOf(page, '#search-summary', 'email', 'the guessed kind');

  step = 'open her entity: values with their source, touches, members';
  await page.click('tr.result a[data-entity]');
  await Visible(page, '#entity-title', 'entity view');
  await Count(page, 'tr.member', 2, 'her two records');
  await Count(page, 'tr.touch', 2, 'her two touches');
  await TextOf(page, 'table.touches', 'spring', 'the first touch\'s campaign');
  await TextOf(page, 'table.touches', 'webinar', 'the second touch\'s campaign');
  await TextOf(page, 'table.values tr[data-field="phone"]', '+442079460321', 'her phone');
  await TextOf(page, 'table.values tr[data-field="phone"]', 'record #', 'where her phone came from');
  await page.screenshot({path: join(args.out, 'entity.png'), fullPage: true});

  step = 'the quality page';
  await page.click('nav a[data-view="quality"]');
  await Visible(page, '#chart-fields svg', 'the completeness and validity chart');
  Check(await page.locator('#chart-fields rect.chart-bar[data-series="complete"]').count() >= 10,
        'completeness: fewer than 10 field bars');
  await Visible(page, '#chart-fields text.row-label >> text=email', 'the e-mail row');
  Check(await page.locator('#chart-outcomes rect.chart-bar').count() >= 3, 'outcomes per day: fewer than 3 bars');
  Check(await page.locator('#chart-outcomes rect.chart-bar[data-series="dead_letter"]').count() === 1,
        'outcomes per day: no dead letter bar');
  Check(await page.locator('#chart-merges rect.chart-bar[data-series="steward"]').count() === 1,
        'merges per day: no steward merge bar');
  await TextOf(page, '#chart-quarantine', 'Carrier pigeon', 'the top quarantined value');
  await TextOf(page, '#chart-queue', '< 1 hour', 'the queue age chart');
  await TextOf(page, '#tile-records b', '4', 'records counted (the dead letter is not a record)');
  await Visible(page, '#tile-dup', 'the duplicate rate');
  await page.screenshot({path: join(args.out, 'quality.png'), fullPage: true});

  step = 'one source only';
  await page.selectOption('#quality-source', 'website');
  await page.waitForFunction(() => location.hash.includes('source=website'), null, {timeout: kTimeoutMs});
  await TextOf(page, '#chart-outcomes figcaption', 'website', 'the chart names its source');

  step = 'the drift report from the quality page';
  await page.click('#drift-link');
  await Count(page, 'tr.drift-row', 1, 'held values');
  await TextOf(page, 'tr.drift-row', 'Carrier pigeon', 'the held value');
  await page.screenshot({path: join(args.out, 'drift.png'), fullPage: true});

  step = 'an API error is shown plainly';
  await page.fill('#entity-id', '999999');
  await page.click('#entity-form button');
  await TextOf(page, '#banner.error', 'Error 404', 'the 404 of an unknown entity');

  step = 'the actor is remembered';
  await page.reload();
  Check(await page.inputValue('#actor') === args.actor, 'the actor name was not kept in localStorage');

  step = 'sign out';
  await page.click('#sign-out');
  await Visible(page, '#token-panel', 'the sign-in prompt after signing out');
  Check(await page.evaluate(() => sessionStorage.getItem('canon.token')) === null, 'the token is still stored');

  Check(problems.length === 0, problems.join('; '));
  console.log('review.spec: ok, ' + checks + ' checks');
} catch (e) {
  console.error('review.spec FAILED at step "' + step + '": ' + e.message);
  if (problems.length) console.error('page problems: ' + problems.join('; '));
  if (page) await page.screenshot({path: join(args.out, 'failure.png'), fullPage: true}).catch(() => {});
  process.exitCode = 1;
} finally {
  if (context) await context.close().catch(() => {});
  rmSync(profile, {recursive: true, force: true});
}
