// Browser smoke test of the ai45kg web UI: node smoke.mjs <base-url> [screenshot-dir]
//
// Drives Debian's chromium (/usr/bin/chromium, never a downloaded browser) with playwright-core:
// the home page shows the matrix SVG; the query page loads an example, runs it with a click and
// shows result rows; a result link opens a resource page, and a link on it opens another page.
// Every request must stay on the server under test, and the pages must log no errors (a CSP
// violation, a script error). Screenshots go to the directory given (default: a temp dir).
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const base = (process.argv[2] || "").replace(/\/$/, "");
if (!base) {
  console.error("usage: node smoke.mjs <base-url> [screenshot-dir]");
  process.exit(2);
}
const shots = process.argv[3] || mkdtempSync(join(tmpdir(), "ai45kg-smoke-"));
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

const steps = [];
function step(name, detail = "") {
  steps.push(detail ? `${name}: ${detail}` : name);
  console.log(`ok - ${name}${detail ? ` (${detail})` : ""}`);
}
function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
let failed = null;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const origin = new URL(base).origin;
  const offsite = [];
  const problems = [];
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith("data:")) {
      return route.continue();
    }
    offsite.push(url);
    return route.abort();
  });
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));

  // 1. home page: the matrix of trustworthy AGI as inline SVG
  let response = await page.goto(base + "/", { waitUntil: "load" });
  check(response && response.status() === 200, `home page answered ${response && response.status()}`);
  const matrix = page.locator("svg#matrix");
  await matrix.waitFor({ state: "visible" });
  const cells = await page.locator("svg#matrix a.cell-link").count();
  check(cells === 15, `expected 15 matrix cells (5 levels x 3 layers), found ${cells}`);
  const chips = await page.locator("svg#matrix a.chip-link").count();
  check(chips > 0, "no representative model is placed in the matrix");
  await page.screenshot({ path: join(shots, "home.png"), fullPage: true });
  step("home page shows the matrix", `${cells} cells, ${chips} model placements`);

  // 2. query page: load an example, run it with the button
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Query", exact: true }).click();
  await page.waitForURL(/\/query/);
  const editor = page.locator("#query-text");
  await editor.waitFor();
  check(await page.locator(".editor.enhanced").count() === 1, "the editor was not enhanced by query.js");
  check(await page.locator(".editor-highlight .tok-keyword").count() > 0, "no keyword is highlighted");
  const before = await editor.inputValue();
  const example = page.locator("a.example[data-example]").first();
  const exampleName = await example.getAttribute("data-example");
  await example.click();
  const loaded = await editor.inputValue();
  check(loaded !== before && loaded.includes("SELECT"), `example ${exampleName} was not loaded into the editor`);
  check(page.url().includes("/query"), "clicking an example left the query page");
  step("example loaded into the editor", exampleName);
  await Promise.all([
    page.waitForURL(/\/query\?/),
    page.getByRole("button", { name: "Run query" }).click(),
  ]);
  const rows = await page.locator("table.result-table tbody tr").count();
  check(rows > 0, `the example ${exampleName} returned no rows`);
  const downloads = await page.locator("a.download").count();
  check(downloads === 4, `expected 4 download links, found ${downloads}`);
  await page.screenshot({ path: join(shots, "query.png"), fullPage: true });
  step("query ran from the button", `${rows} rows`);

  // 3. a resource page from a result link, then a link on it
  const resultLink = page.locator('table.result-table a.iri[href^="/id/"]').first();
  const resultText = (await resultLink.textContent()).trim();
  await Promise.all([page.waitForURL(/\/id\//), resultLink.click()]);
  const title = (await page.locator("h1").first().textContent()).trim();
  check(title.length > 0, "the resource page has no title");
  check(!/^https?:/.test(title), `the resource page is titled with a bare IRI: ${title}`);
  await page.screenshot({ path: join(shots, "resource.png"), fullPage: true });
  step("resource page from a result link", `${resultText} -> ${title}`);

  const onward = page.locator('#statements a.iri[href^="/"]').first();
  const onwardText = (await onward.textContent()).trim();
  const [onwardResponse] = await Promise.all([
    page.waitForNavigation(),
    onward.click(),
  ]);
  check(onwardResponse && onwardResponse.status() === 200,
    `following "${onwardText}" answered ${onwardResponse && onwardResponse.status()}`);
  check(await page.locator("h1").count() > 0, "the linked page has no heading");
  await page.screenshot({ path: join(shots, "linked.png"), fullPage: false });
  step("followed a link on the resource page", `${onwardText} -> ${page.url()}`);

  // 4. Ctrl+Enter runs the query from the keyboard
  await page.goto(base + "/query", { waitUntil: "load" });
  await page.locator("#query-text").click();
  await Promise.all([page.waitForURL(/\/query\?/), page.keyboard.press("Control+Enter")]);
  check(await page.locator("table.result-table tbody tr").count() > 0, "Ctrl+Enter did not run the query");
  step("Ctrl+Enter runs the query");

  check(offsite.length === 0, `requests left the server: ${offsite.join(", ")}`);
  check(problems.length === 0, `the pages logged errors: ${problems.join(" | ")}`);
  step("no off-site requests, no page errors");
} catch (err) {
  failed = err;
} finally {
  await browser.close();
}
console.log(`screenshots: ${shots}`);
if (failed) {
  console.error(`not ok - ${failed.message}`);
  process.exit(1);
}
console.log(`${steps.length} steps passed`);
