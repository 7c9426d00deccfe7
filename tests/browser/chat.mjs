// The browser end-to-end test: the generated chat client (examples/chat/client, built with Vite) served by the
// generated chat server (`serve --static`), driven in Debian's Chromium with playwright-core.
//
// Run by `cargo xtask browser`, which builds both, starts the server and sets:
//   BROWSER_URL        http://127.0.0.1:PORT (the server, which serves the client at /)
//   BROWSER_TOKEN      a token the server accepts for /admin
//   BROWSER_ARTIFACTS  a folder for screenshots of failed cases
//   CHROMIUM           the browser binary (default /usr/bin/chromium)
//
// Prints one line per case (`ok NAME` or `FAIL NAME: detail`) and a closing `N passed, N failed`.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const URL = required("BROWSER_URL");
const TOKEN = required("BROWSER_TOKEN");
const ARTIFACTS = process.env.BROWSER_ARTIFACTS ?? "browser-artifacts";
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
/** How long one expectation may take (connections, broadcasts). */
const WAIT_MS = 10_000;

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`error: ${name} is not set (run the suite with \`cargo xtask browser\`)`);
    process.exit(2);
  }
  return value;
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
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
});

let passed = 0;
let failed = 0;

/** Runs a case with fresh pages; a failure saves a screenshot of every page of the case. */
async function test(name, body) {
  const context = await browser.newContext();
  context.setDefaultTimeout(WAIT_MS);
  const pages = [];
  const page = async (username) => {
    const p = await context.newPage();
    p.on("pageerror", (error) => console.error(`  [${username}] page error: ${error.message}`));
    pages.push(p);
    await p.goto(`${URL}/?username=${encodeURIComponent(username)}`);
    return p;
  };
  try {
    await body(page);
    passed += 1;
    console.log(`ok ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`FAIL ${name}: ${String(error?.message ?? error).split("\n").slice(0, 4).join(" | ")}`);
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const [i, p] of pages.entries()) {
      const file = join(ARTIFACTS, `${name.replace(/[^a-z0-9]+/gi, "-")}-${i}.png`);
      await p.screenshot({ path: file, fullPage: true }).catch(() => {});
      console.log(`  screenshot: ${file}`);
    }
  } finally {
    await context.close();
  }
}

/** Opens the room namespace for `roomId` from the dashboard and waits until its panel is connected. */
async function openRoom(page, roomId) {
  const entry = page.locator('section.fs-namespace-entry[aria-label="Room namespace"]');
  await entry.getByLabel("roomId", { exact: true }).fill(roomId);
  await entry.getByRole("button", { name: "Open Room namespace" }).click();
  const panel = entry.locator("section.fs-namespace");
  await panel.locator('.fs-status[data-connected="true"]').waitFor();
  return panel;
}

/** The number of Socket.IO frames the page sent that carry `event`. */
function countFrames(page, event) {
  const counter = { count: 0 };
  page.on("websocket", (ws) => {
    ws.on("framesent", (frame) => {
      if (typeof frame.payload === "string" && frame.payload.includes(`"${event}"`)) {
        counter.count += 1;
      }
    });
  });
  page.on("request", (request) => {
    if (request.method() === "POST" && (request.postData() ?? "").includes(`"${event}"`)) {
      counter.count += 1;
    }
  });
  return counter;
}

await test("the server serves the generated dashboard", async (page) => {
  const a = await page("alice");
  await a.getByRole("heading", { level: 1, name: "Fastsocket Chat" }).waitFor();
  for (const title of ["Lobby namespace", "Room namespace", "Admin namespace"]) {
    await a.getByRole("button", { name: `Open ${title}` }).waitFor();
  }
});

await test("a message sent with the generated form appears in the other page's feed", async (page) => {
  const a = await page("alice");
  const b = await page("bob");
  const roomA = await openRoom(a, "general");
  const roomB = await openRoom(b, "general");
  const form = roomA.locator('form[aria-label="Send message"]');
  await form.getByLabel(/^text( \*)?$/).fill("hello from alice");
  await form.getByRole("button", { name: "Send" }).click();
  // The acknowledgement (the stored message id) is shown in the sending form.
  await form.locator("output.fs-answer").filter({ hasText: "messageId" }).waitFor();
  const feed = roomB.locator('section.fs-feed[aria-label="Message"]');
  await feed.locator("li").filter({ hasText: "hello from alice" }).waitFor();
});

await test("an invalid form input shows the validation message and sends nothing", async (page) => {
  const a = await page("carol");
  const sent = countFrames(a, "send_message");
  const room = await openRoom(a, "general");
  const form = room.locator('form[aria-label="Send message"]');
  // `text` needs at least one character.
  await form.getByLabel(/^text( \*)?$/).fill("");
  await form.getByRole("button", { name: "Send" }).click();
  const problems = form.getByRole("alert", { name: "Send message: problems" });
  await problems.filter({ hasText: "/text" }).waitFor();
  await a.waitForTimeout(500);
  if (sent.count !== 0) {
    throw new Error(`${sent.count} send_message frame(s) went out`);
  }
  // A valid message afterwards is sent: the counter does see frames.
  await form.getByLabel(/^text( \*)?$/).fill("now valid");
  await form.getByRole("button", { name: "Send" }).click();
  await form.locator("output.fs-answer").waitFor();
  if (sent.count !== 1) {
    throw new Error(`expected 1 send_message frame after a valid submit, saw ${sent.count}`);
  }
});

await test("the admin namespace refuses a page without a token", async (page) => {
  const a = await page("mallory");
  const entry = a.locator('section.fs-namespace-entry[aria-label="Admin namespace"]');
  await entry.getByRole("button", { name: "Open Admin namespace" }).click();
  await entry.locator(".fs-failure").filter({ hasText: "Connection refused" }).waitFor();
  const connected = await entry.locator('.fs-status[data-connected="true"]').count();
  if (connected !== 0) {
    throw new Error("the admin panel connected without a token");
  }
});

await test("the admin namespace accepts the token typed into the dashboard", async (page) => {
  const a = await page("operator");
  await a.getByLabel("Token", { exact: true }).fill(TOKEN);
  const entry = a.locator('section.fs-namespace-entry[aria-label="Admin namespace"]');
  await entry.getByRole("button", { name: "Open Admin namespace" }).click();
  await entry.locator('.fs-status[data-connected="true"]').waitFor();
  // The server sends a statistics sample on connect.
  await entry.locator('section.fs-feed[aria-label="Server statistics"] li').first().waitFor();
});

await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
