// The browser test: nsjudge's web page in Debian's chromium (headless),
// driven by playwright-core. Started by tests/browser/run.sh, which gives:
//   NSJ_URL         the page, served by a real nsjudge-api
//   NSJ_PLAYWRIGHT  playwright-core's directory (pinned, installed by npm)
//   NSJ_CHROMIUM    the browser (/usr/bin/chromium: never a downloaded one)
//   NSJ_PROFILE     a fresh profile directory
//   NSJ_SCREENSHOT  where to save a screenshot when a step fails
// What a person would do: type a Python program, Run it, answer its
// question in the input line, see its output and a verdict; then Submit it
// with two test cases and see each test's verdict and the final score.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run through tests/browser/run.sh)`);
  return v;
};
const url = env('NSJ_URL');
const { chromium } = await import(pathToFileURL(join(env('NSJ_PLAYWRIGHT'), 'index.mjs')).href);
const profile = mkdtempSync(env('NSJ_PROFILE') + '-');
const T = 30000;

let step = 'launch';
const log = (msg) => console.error(`browser: ${msg}`);

const context = await chromium.launchPersistentContext(profile, {
  executablePath: env('NSJ_CHROMIUM'),
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
});
const page = context.pages()[0] || await context.newPage();
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push(String(e)));

async function expectText(selector, text, what) {
  await page.locator(selector).filter({ hasText: text }).first().waitFor({ timeout: T })
    .catch(async () => {
      const got = await page.locator(selector).first().innerText().catch(() => '(missing)');
      throw new Error(`${what}: '${text}' never appeared in ${selector} (it shows: ${JSON.stringify(got)})`);
    });
}

try {
  step = 'open the page';
  const resp = await page.goto(url, { waitUntil: 'load', timeout: T });
  if (!resp || resp.status() !== 200) throw new Error(`GET ${url}: ${resp && resp.status()}`);
  await page.locator('#language:not([disabled])').waitFor({ timeout: T });
  const langs = await page.locator('#language option').allTextContents();
  if (!langs.includes('python')) throw new Error(`no python in the language picker: ${langs}`);
  log(`page loaded; languages: ${langs.join(', ')}`);

  step = 'Run a program';
  await page.selectOption('#language', 'python');
  await page.locator('#editor').fill(
    'print("hi from the browser")\nname = input()\nprint("hello,", name)\n');
  await page.click('#run');
  await expectText('#output', 'hi from the browser', 'its first output');
  await expectText('#state', 'waiting', 'the waiting state');
  step = 'answer in the input line';
  await page.locator('#input-line').fill('Ada');
  await page.locator('#input-line').press('Enter');
  await expectText('#output .stdout', 'hello, Ada', 'the answer to the input');
  await expectText('#exit', 'Exit: ok', 'the verdict');
  const exitLine = await page.locator('#exit').innerText();
  if (!/time \d/.test(exitLine) || !/memory \d/.test(exitLine))
    throw new Error(`the exit line lacks time or memory: ${exitLine}`);
  await expectText('#state', 'finished', 'the final state');
  log(`run: ${exitLine}`);

  step = 'Submit with two test cases';
  await page.locator('#editor').fill('print(int(input()) * 2)\n');
  const rows = page.locator('#tests tr');
  await rows.nth(0).locator('.in').fill('21');
  await rows.nth(0).locator('.want').fill('42');
  await rows.nth(0).locator('.score').fill('1');
  await page.click('#add-test');
  await rows.nth(1).locator('.in').fill('5');
  await rows.nth(1).locator('.want').fill('11');
  await rows.nth(1).locator('.score').fill('2');
  await page.click('#submit');
  await expectText('#final', 'Result: failed', 'the final status');
  await expectText('#final', 'score 1/3', 'the final score');
  const verdicts = await page.locator('#results tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.cells].map((td) => td.innerText)));
  if (verdicts.length !== 2) throw new Error(`${verdicts.length} verdict rows, want 2`);
  const [first, second] = verdicts;
  if (first[0] !== '1' || first[1] !== 'passed' || !/\d/.test(first[2]) || !/\d/.test(first[3]))
    throw new Error(`test 1's row: ${JSON.stringify(first)}`);
  if (second[0] !== '2' || second[1] !== 'failed' || !/\d/.test(second[2]) || !/\d/.test(second[3]))
    throw new Error(`test 2's row: ${JSON.stringify(second)}`);
  // The checker's message (issue #12) on its own line of the evidence.
  if (!/checker: output differs from the expected output at line 1/.test(second[4]))
    throw new Error(`test 2's checker message: ${JSON.stringify(second[4])}`);
  log(`submit: ${JSON.stringify(verdicts)}; ${await page.locator('#final').innerText()}`);

  step = 'a narrow screen';
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() =>
    document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (overflow > 1) throw new Error(`the page scrolls sideways by ${overflow}px at 360px wide`);
  await page.locator('#run').scrollIntoViewIfNeeded();
  if (!await page.locator('#run').isVisible()) throw new Error('Run is not reachable on a narrow screen');

  if (consoleErrors.length) throw new Error(`errors in the page's console: ${consoleErrors.join(' | ')}`);

  // An API that needs a key (the refusals below log 401s in the console on purpose).
  step = 'with an API key';
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(env('NSJ_KEY_URL'), { waitUntil: 'load', timeout: T });
  await page.locator('#language:not([disabled])').waitFor({ timeout: T });
  await page.locator('#editor').fill('print(int(input()) * 2)\n');
  await page.click('#submit');
  await expectText('#final', 'API key is needed', 'the refusal without a key');
  await page.locator('#api-key').fill(env('NSJ_KEY'));
  await page.locator('#api-key').press('Tab');
  await page.locator('#tests tr').nth(0).locator('.in').fill('21');
  await page.locator('#tests tr').nth(0).locator('.want').fill('42');
  await page.click('#submit');
  await expectText('#final', 'Result: passed', 'a submission with the key (its events by ?access_token=)');
  await page.locator('#editor').fill('print("keyed run")\n');
  await page.click('#run');
  await expectText('#output', 'keyed run', 'a session with the key (its WebSocket by ?access_token=)');
  await expectText('#exit', 'Exit: ok', 'the keyed session\'s end');
  await page.reload({ waitUntil: 'load' });
  if (await page.locator('#api-key').inputValue() !== env('NSJ_KEY'))
    throw new Error('the key was not kept in localStorage');
  log('with a key: refused without it, submitted and ran with it, kept across a reload');
  log('OK');
} catch (err) {
  const shot = process.env.NSJ_SCREENSHOT;
  if (shot) await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
  console.error(`browser: FAILED at "${step}": ${err.message}`);
  if (shot) console.error(`browser: screenshot in ${shot}`);
  process.exitCode = 1;
} finally {
  await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
