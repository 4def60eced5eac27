// Opens the catalog page in Debian's chromium (headless) and checks it as a reader would:
// it loads from its file:// URL with no console error and no request to the network,
// typing in the search box finds an event and hides the others. Writes screenshots to
// the folder given and prints their paths.
//
// Usage: node check.mjs <catalog.html> <screenshot folder>
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const [pagePath, outDir] = process.argv.slice(2);
const QUERY = "pipeline-run:failed";
const problems = [];

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  // Playwright adds --headless, --no-sandbox and a fresh --user-data-dir of its own.
  args: [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
  timeout: 30_000,
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(10_000);
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  // The page must be self-contained: anything but the file itself is refused and reported.
  const url = pathToFileURL(pagePath).href;
  await page.route("**/*", (route) => {
    const requested = route.request().url();
    if (requested === url || requested.startsWith("data:")) return route.continue();
    problems.push(`request outside the page: ${requested}`);
    return route.abort();
  });
  await page.goto(url, { waitUntil: "load" });

  const visibleTypes = () =>
    page.$$eval("section.event[data-type]", (sections) =>
      sections.filter((s) => !s.hidden && s.offsetParent !== null).map((s) => s.dataset.type),
    );
  const all = await visibleTypes();
  if (all.length === 0) problems.push("no event is shown before searching");
  const initial = path.join(outDir, "catalog.png");
  await page.screenshot({ path: initial });

  await page.locator("#search").pressSequentially(QUERY, { delay: 5 });
  const found = await visibleTypes();
  const navFound = await page.$$eval("nav li.event", (items) =>
    items.filter((li) => li.offsetParent !== null).map((li) => li.dataset.type),
  );
  const expected = all.filter((type) => type.includes(QUERY));
  if (expected.length === 0) problems.push(`the catalog has no event matching ${QUERY}`);
  if (JSON.stringify(found) !== JSON.stringify(expected)) {
    problems.push(`searching ${QUERY} shows ${JSON.stringify(found)}, not ${JSON.stringify(expected)}`);
  }
  if (JSON.stringify(navFound) !== JSON.stringify(expected)) {
    problems.push(`searching ${QUERY} leaves ${JSON.stringify(navFound)} in the tree`);
  }
  const searched = path.join(outDir, "catalog-search.png");
  await page.screenshot({ path: searched });

  console.log(`${all.length} events shown; searching "${QUERY}" shows ${found.join(", ")}`);
  console.log(`screenshots: ${initial} ${searched}`);
} finally {
  await browser.close();
}
if (problems.length > 0) {
  for (const problem of problems) console.error(`check-catalog: ${problem}`);
  process.exit(1);
}
