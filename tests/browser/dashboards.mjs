// The accessibility scan of the generated dashboards (`cargo xtask vue`): each argument is a built client
// (`dist/` of a generated project), served here over HTTP without a Socket.IO server. For each, the dashboard as
// it opens and with every namespace opened (forms and feeds shown) is scanned with axe-core in the light and the
// dark scheme, at desktop width and at 390 px, where the page must not scroll sideways.
//
//   node dashboards.mjs NAME=DIST [NAME=DIST ...]
//
// Prints `ok NAME: ...` or `FAIL NAME: ...` per client and a closing `N passed, N failed`.

import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";
import { horizontalOverflow, inBothSchemes, launchOptions, seriousViolations } from "./a11y.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml" };
const PHONE = { width: 390, height: 844 };

/** A static server for one folder (unknown paths answer index.html, as the generated server does). */
function serve(dir) {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    let file = join(dir, path);
    if (!existsSync(file) || statSync(file).isDirectory()) {
      file = join(dir, "index.html");
    }
    response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(response);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const browser = await chromium.launch(launchOptions(CHROMIUM));
let passed = 0;
let failed = 0;
for (const arg of process.argv.slice(2)) {
  const [name, dir] = arg.split("=");
  const server = await serve(dir);
  const url = `http://127.0.0.1:${server.address().port}/`;
  const context = await browser.newContext();
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems = [];
  try {
    await page.goto(url);
    await page.locator("h1").first().waitFor();
    const check = async (what) => {
      await inBothSchemes(page, async (scheme) => {
        for (const v of await seriousViolations(page)) {
          problems.push(`${what}, ${scheme}: ${v}`);
        }
      });
    };
    await check("as opened");
    const namespaces = page.locator('nav[aria-label="Namespaces"] button');
    const count = await namespaces.count();
    for (let i = 0; i < count; i += 1) {
      await namespaces.nth(i).click();
      const entry = page.locator("section.fs-namespace-entry:visible");
      for (const input of await entry.locator("form.fs-open input").all()) {
        await input.fill("x1");
      }
      await entry.locator("form.fs-open button[type=submit]").click();
      await entry.locator("section.fs-namespace").first().waitFor();
    }
    await check("every namespace opened");
    await page.setViewportSize(PHONE);
    await page.emulateMedia({ colorScheme: "light" });
    const overflow = await horizontalOverflow(page);
    if (overflow > 0) {
      problems.push(`at ${PHONE.width} px the page scrolls ${overflow} px sideways`);
    }
    if (problems.length === 0) {
      passed += 1;
      console.log(`ok ${name}: no serious or critical axe violations (light, dark), no sideways scrolling at 390 px`);
    } else {
      failed += 1;
      console.log(`FAIL ${name}: ${problems.length} problem(s)`);
      for (const p of [...new Set(problems)].slice(0, 12)) {
        console.log(`  ${p}`);
      }
    }
  } catch (error) {
    failed += 1;
    console.log(`FAIL ${name}: ${String(error?.message ?? error).split("\n")[0]}`);
  } finally {
    await context.close();
    server.close();
  }
}
await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
