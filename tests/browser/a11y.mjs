// Accessibility checks shared by the browser suites: axe-core injected into a page, and the page-width check.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** The launch options of Debian's Chromium (never a downloaded browser). */
export function launchOptions(executablePath) {
  return {
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  };
}

/**
 * The serious and critical axe-core violations of the page as it is now, one line each (empty: none). Rules
 * that judge the page rather than the component (a landmark for every region, a skip link) are kept: the
 * generated pages are whole pages.
 */
export async function seriousViolations(page) {
  if (!(await page.evaluate(() => "axe" in window))) {
    // Evaluated through the DevTools protocol, not as a <script> tag: the served client's Content-Security-Policy
    // refuses inline scripts, and the scan must see the page as users get it (CSP on), not a relaxed copy.
    await page.evaluate(`${AXE_SOURCE}\n;undefined`);
  }
  if (!(await page.evaluate(() => "axe" in window))) {
    throw new Error("axe-core did not load into the page");
  }
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    }));
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id} (${v.help}) at ${v.targets.join(", ")}`);
}

/** How far the page scrolls sideways (0: it fits the viewport). */
export async function horizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** Runs `body` in the light and the dark scheme (as `prefers-color-scheme`). */
export async function inBothSchemes(page, body) {
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    await body(scheme);
  }
}
