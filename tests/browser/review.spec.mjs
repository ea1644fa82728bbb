// The steward page in a real browser: headless Chromium driven by playwright-core, against a canond that the
// [browser] Catch2 test (tests/pg_web_test.cc) started with one queued pair and an admin token.
//
//   node review.spec.mjs --url http://127.0.0.1:PORT --token T --actor NAME [--chromium PATH] [--out DIR]
//
// Exits 0 when every step passed; otherwise prints which step or element failed, saves failure.png in --out,
// and exits 1. Screenshots of the pair and the entity views go to --out too.
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
    viewport: {width: 1280, height: 900},
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (e) => problems.push('script error: ' + e.message));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push('CSP: ' + m.text());
  });

  step = 'open the page; it asks for the admin token';
  const res = await page.goto(args.url + '/admin/review');
  Check(res && res.status() === 200, 'GET /admin/review answered ' + (res && res.status()));
  if (args.token) {
    await Visible(page, '#token-panel', 'the token prompt after the 401');
    await page.fill('#token-input', args.token);
    await page.click('#token-save');
  }

  step = 'the queue shows the pair';
  await Count(page, '.queue-item', 1, 'queue');
  await TextOf(page, '.queue-item', 'Wexford', 'the queued pair names both contacts');

  step = 'open the pair';
  await page.click('.queue-item');
  await Visible(page, '#do-approve', 'approve button');
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

  step = 'defer it; it moves to the deferred queue';
  await page.fill('#actor', args.actor);
  await page.screenshot({path: join(args.out, 'review-pair.png'), fullPage: true});
  await page.click('#do-defer');
  await TextOf(page, '#result', 'deferred by ' + args.actor, 'the defer result');
  await Count(page, '.queue-item', 0, 'pending queue after deferring');
  await page.selectOption('#queue-status', 'deferred');
  await Count(page, '.queue-item', 1, 'deferred queue');
  await page.click('.queue-item');
  await TextOf(page, '#candidate-status', 'deferred', 'the deferred pair');

  step = 'approve as the typed actor';
  await page.click('#do-approve');
  await TextOf(page, '#result', 'approved by ' + args.actor, 'the decision result');
  await Count(page, '.queue-item', 0, 'queue after approving');
  await Visible(page, '#queue-empty', 'the empty queue message');
  Check(await page.locator('qa').count() === 0, 'the actor name was parsed as markup');

  step = 'open the merged entity';
  await page.click('#result a[data-entity]');
  await Visible(page, '#entity-title', 'entity view');
  await Count(page, 'tr.member', 2, 'members of the merged entity');
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
  await page.screenshot({path: join(args.out, 'review-entity.png'), fullPage: true});

  step = 'an API error is shown plainly';
  await page.fill('#entity-id', '999999');
  await page.click('#entity-form button');
  await TextOf(page, '#banner.error', 'Error 404', 'the 404 of an unknown entity');

  step = 'the actor is remembered';
  await page.reload();
  Check(await page.inputValue('#actor') === args.actor, 'the actor name was not kept in localStorage');

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
