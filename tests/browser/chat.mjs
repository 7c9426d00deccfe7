// The browser end-to-end test: the chat example's client (examples/chat/client, built with Vite: its own chat
// pages on the generated client and composables, and the generated dashboard at /dashboard) served by the
// generated chat server (`serve --static`), driven in Debian's Chromium with playwright-core.
//
// Run by `cargo xtask browser`, which builds both, starts the server and sets:
//   BROWSER_URL        http://127.0.0.1:PORT (the server, which serves the client at /)
//   BROWSER_TOKEN      a token the server accepts for /admin
//   BROWSER_MONITOR_TOKEN  a token the server accepts for its live monitor (/_monitor, page /monitor)
//   BROWSER_ARTIFACTS  a folder for screenshots (of failed cases, and `screenshots/` of the design)
//   CHROMIUM           the browser binary (default /usr/bin/chromium)
//   BROWSER_ONLY       (optional) run only the cases whose name contains it
//
// Prints one line per case (`ok NAME` or `FAIL NAME: detail`) and a closing `N passed, N failed`.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { horizontalOverflow, inBothSchemes, launchOptions, seriousViolations } from "./a11y.mjs";

const URL = required("BROWSER_URL");
const TOKEN = required("BROWSER_TOKEN");
const MONITOR_TOKEN = required("BROWSER_MONITOR_TOKEN");
const ARTIFACTS = process.env.BROWSER_ARTIFACTS ?? "browser-artifacts";
const SHOTS = join(ARTIFACTS, "screenshots");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
/** How long one expectation may take (connections, broadcasts). */
const WAIT_MS = 10_000;
const DESKTOP = { width: 1200, height: 760 };
const PHONE = { width: 390, height: 844 };

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`error: ${name} is not set (run the suite with \`cargo xtask browser\`)`);
    process.exit(2);
  }
  return value;
}

const browser = await chromium.launch(launchOptions(CHROMIUM));
mkdirSync(SHOTS, { recursive: true });

let passed = 0;
let failed = 0;

/** Runs a case with fresh pages; a failure saves a screenshot of every page of the case. */
async function test(name, body) {
  if (process.env.BROWSER_ONLY && !name.includes(process.env.BROWSER_ONLY)) {
    return;
  }
  const context = await browser.newContext({ viewport: DESKTOP });
  context.setDefaultTimeout(WAIT_MS);
  const contexts = [context];
  const pages = [];
  // `isolated`: in a browser context of its own (its own network: offline mode is per context).
  const page = async (path, { isolated = false } = {}) => {
    let own = context;
    if (isolated) {
      own = await browser.newContext({ viewport: DESKTOP });
      own.setDefaultTimeout(WAIT_MS);
      contexts.push(own);
    }
    const p = await own.newPage();
    p.on("pageerror", (error) => console.error(`  [${path}] page error: ${error.message}`));
    pages.push(p);
    await p.goto(`${URL}${path}`);
    return p;
  };
  try {
    await body(page);
    passed += 1;
    console.log(`ok ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`FAIL ${name}: ${String(error?.message ?? error).split("\n").slice(0, 4).join(" | ")}`);
    for (const [i, p] of pages.entries()) {
      const file = join(ARTIFACTS, `${name.replace(/[^a-z0-9]+/gi, "-")}-${i}.png`);
      await p.screenshot({ path: file, fullPage: true }).catch(() => {});
      console.log(`  screenshot: ${file}`);
    }
  } finally {
    for (const c of contexts) {
      await c.close();
    }
  }
}

/** The chat page of `username` with `room` open, once the room is live. */
async function chat(page, username, room, options = {}) {
  const p = await page(`/?username=${encodeURIComponent(username)}&room=${encodeURIComponent(room)}`, options);
  const section = roomOf(p, room);
  await section.locator('.chat-room-head .fs-badge[data-state="connected"]').waitFor();
  return p;
}

function roomOf(p, room) {
  return p.locator(`section.chat-room[data-room="${room}"]`);
}

/** Types and sends a message with the composer (Enter sends). */
async function say(p, room, text) {
  const composer = roomOf(p, room).locator("form.chat-composer textarea");
  await composer.fill(text);
  await composer.press("Enter");
  await roomOf(p, room).locator(".chat-message.mine:not(.chat-pending) .chat-text", { hasText: text }).last().waitFor();
  // Answered too: no message waits for its acknowledgement any more.
  await roomOf(p, room).locator(".chat-pending").first().waitFor({ state: "detached" });
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

/** Opens a namespace of the generated dashboard and waits until its panel is connected. */
async function openNamespace(p, title, params = {}) {
  await p.locator('nav[aria-label="Namespaces"] button', { hasText: title }).click();
  const entry = p.locator(`section.fs-namespace-entry[aria-label="${title}"]`);
  for (const [name, value] of Object.entries(params)) {
    await entry.getByLabel(name).fill(value);
  }
  await entry.getByRole("button", { name: `Open ${title}` }).click();
  return entry;
}

await test("/ asks for a name, then opens the chat; the address names user and room", async (page) => {
  const p = await page("/");
  await p.getByLabel("User name").fill("x");
  await p.getByRole("button", { name: "Enter the chat" }).click();
  await p.getByRole("alert").filter({ hasText: "3 to 24" }).waitFor();
  await p.getByLabel("User name").fill("erin");
  await p.getByRole("button", { name: "Enter the chat" }).click();
  await p.getByRole("button", { name: "Join general" }).click();
  await roomOf(p, "general").locator('.fs-badge[data-state="connected"]').waitFor();
  const search = new globalThis.URL(p.url()).search;
  if (search !== "?username=erin&room=general") {
    throw new Error(`address is ${search}`);
  }
});

await test("two users chat in a room: messages with author and time, typing indicator", async (page) => {
  const alice = await chat(page, "alice", "general");
  const bob = await chat(page, "bob", "general");
  // Bob sees Alice typing while she writes.
  await roomOf(alice, "general").locator("textarea").fill("hel");
  await roomOf(alice, "general").locator("textarea").press("l");
  await roomOf(bob, "general").locator(".chat-typing", { hasText: "alice is typing…" }).waitFor();
  await roomOf(alice, "general").locator("textarea").press("o");
  await roomOf(alice, "general").locator("textarea").fill("hello bob");
  await roomOf(alice, "general").locator("textarea").press("Enter");
  const line = roomOf(bob, "general").locator(".chat-message", { hasText: "hello bob" });
  await line.waitFor();
  const author = await line.locator(".chat-author").textContent();
  const time = await line.locator("time").getAttribute("datetime");
  if (author !== "alice" || Number.isNaN(Date.parse(time ?? ""))) {
    throw new Error(`author ${author}, time ${time}`);
  }
  // Sending ends the typing notice.
  await roomOf(bob, "general").locator(".chat-typing", { hasText: /^$/ }).waitFor();
  await say(bob, "general", "hi alice!");
  await roomOf(alice, "general").locator(".chat-message:not(.mine)", { hasText: "hi alice!" }).waitFor();
});

await test("the composer validates before sending: nothing invalid goes out", async (page) => {
  const p = await page("/?username=carol&room=general");
  const sent = countFrames(p, "send_message");
  const room = roomOf(p, "general");
  await room.locator('.fs-badge[data-state="connected"]').waitFor();
  await room.locator("textarea").fill("x".repeat(2001));
  await room.getByRole("button", { name: "Send" }).click();
  await room.getByRole("alert").filter({ hasText: /2000/ }).waitFor();
  await room.locator("textarea").fill("   ");
  await room.getByRole("button", { name: "Send" }).click();
  await room.getByRole("alert").filter({ hasText: "Write something first." }).waitFor();
  await p.waitForTimeout(300);
  if (sent.count !== 0) {
    throw new Error(`${sent.count} send_message frame(s) went out`);
  }
  await say(p, "general", "now valid");
  if (sent.count !== 1) {
    throw new Error(`expected 1 send_message frame after a valid message, saw ${sent.count}`);
  }
});

await test("history pages back to the beginning of a room", async (page) => {
  const writer = await chat(page, "hank", "history-test");
  for (let i = 1; i <= 25; i += 1) {
    await say(writer, "history-test", `history ${i}`);
  }
  const reader = await chat(page, "ivy", "history-test");
  const room = roomOf(reader, "history-test");
  await room.locator(".chat-text", { hasText: /^history 25$/ }).waitFor();
  // The newest page (20 messages) first: the oldest five are not shown yet.
  if ((await room.locator(".chat-text", { hasText: /^history 1$/ }).count()) !== 0) {
    throw new Error("the first message is shown before paging back");
  }
  await room.getByRole("button", { name: "Load older messages" }).click();
  await room.locator(".chat-text", { hasText: /^history 1$/ }).waitFor();
  await room.locator(".chat-older", { hasText: "Beginning of #history-test" }).waitFor();
  const texts = await room.locator(".chat-text").allTextContents();
  const expected = Array.from({ length: 25 }, (_, i) => `history ${i + 1}`);
  if (JSON.stringify(texts) !== JSON.stringify(expected)) {
    throw new Error(`timeline out of order: ${texts.slice(0, 6).join(", ")}…`);
  }
});

await test("join and leave rooms from the room list", async (page) => {
  const p = await chat(page, "judy", "general");
  await p.getByRole("button", { name: "Join rust-help" }).click();
  await roomOf(p, "rust-help").locator('.fs-badge[data-state="connected"]').waitFor();
  const rooms = p.locator('nav[aria-label="Rooms"] li');
  if ((await rooms.count()) !== 2) {
    throw new Error(`${await rooms.count()} rooms listed`);
  }
  await roomOf(p, "rust-help").getByRole("button", { name: "Leave" }).click();
  await p.locator('nav[aria-label="Rooms"] li', { hasText: "rust-help" }).waitFor({ state: "detached" });
  await roomOf(p, "general").waitFor();
});

/** The texts of a room's timeline that are in `wanted`, in the order shown. */
async function shown(p, room, wanted) {
  const texts = await roomOf(p, room).locator(".chat-message:not(.chat-pending) .chat-text").allTextContents();
  return texts.filter((t) => wanted.includes(t));
}

await test("offline: sends wait in the client and arrive once, in order, also across a reload; what others sent meanwhile is replayed", async (page) => {
  const ROOM = "offline-test";
  const bob = await chat(page, "bob", ROOM);
  // Alice in a browser context of her own: offline mode is per context.
  const alice = await chat(page, "alice", ROOM, { isolated: true });
  const aliceRoom = roomOf(alice, ROOM);
  await say(alice, ROOM, "before the cut");
  await roomOf(bob, ROOM).locator(".chat-text", { hasText: "before the cut" }).waitFor();
  await alice.context().setOffline(true);
  // The socket really dropped: the room's badge leaves "connected" (socket.io-client retries, and cannot reach).
  await aliceRoom.locator('.chat-room-head .fs-badge[data-state="connecting"]').waitFor();
  const queued = ["offline 1", "offline 2", "offline 3"];
  const composer = aliceRoom.locator("textarea");
  for (const text of queued) {
    await composer.fill(text);
    await composer.press("Enter");
  }
  const pending = aliceRoom.locator(".chat-pending");
  await pending.nth(queued.length - 1).waitFor();
  const waiting = await aliceRoom.locator(".chat-pending .chat-pending-state").allTextContents();
  if (waiting.length !== queued.length || waiting.some((w) => w !== "Waiting for the connection…")) {
    throw new Error(`pending lines: ${JSON.stringify(waiting)}`);
  }
  // Bob writes while Alice is away.
  const missed = ["while you were away 1", "while you were away 2"];
  for (const text of missed) {
    await say(bob, ROOM, text);
  }
  await alice.screenshot({ path: join(SHOTS, "chat-offline.png") });
  if ((await shown(bob, ROOM, queued)).length !== 0) {
    throw new Error("a message sent offline reached Bob before Alice was back");
  }
  await alice.context().setOffline(false);
  await aliceRoom.locator('.chat-room-head .fs-badge[data-state="connected"]').waitFor();
  await pending.first().waitFor({ state: "detached" });
  // Bob: Alice's queued messages once each, in order, after what he saw before.
  const all = ["before the cut", ...missed, ...queued];
  await roomOf(bob, ROOM).locator(".chat-text", { hasText: queued[queued.length - 1] }).waitFor();
  const atBob = await shown(bob, ROOM, all);
  if (JSON.stringify(atBob) !== JSON.stringify(all)) {
    throw new Error(`Bob's timeline: ${JSON.stringify(atBob)}`);
  }
  // Alice: what Bob sent meanwhile came back by replay (delivery resumed, the page fetched nothing again).
  await aliceRoom.locator(".chat-message:not(.chat-pending) .chat-text", { hasText: queued[queued.length - 1] }).waitFor();
  const atAlice = await shown(alice, ROOM, all);
  const delivery = await aliceRoom.getAttribute("data-delivery");
  if (JSON.stringify(atAlice) !== JSON.stringify(all) || delivery !== "resumed") {
    throw new Error(`Alice's timeline: ${JSON.stringify(atAlice)}, delivery ${delivery}`);
  }

  // Across a reload: the page cannot reach the server (Socket.IO requests fail), a message waits, the tab
  // reloads; the new page sends it (sessionStorage, same session and key) once the server is reachable again.
  await alice.route("**/socket.io/**", (route) => route.abort());
  await alice.context().setOffline(true);
  await aliceRoom.locator('.chat-room-head .fs-badge[data-state="connecting"]').waitFor();
  await alice.context().setOffline(false);
  await composer.fill("sent before a reload");
  await composer.press("Enter");
  await pending.first().waitFor();
  await alice.reload();
  await alice.unroute("**/socket.io/**");
  await roomOf(bob, ROOM).locator(".chat-text", { hasText: "sent before a reload" }).waitFor();
  // At the server: every message stored once, in order (a newcomer's history).
  const carol = await chat(page, "carol", ROOM);
  const stored = [...all, "sent before a reload"];
  await roomOf(carol, ROOM).locator(".chat-text", { hasText: "sent before a reload" }).waitFor();
  const history = await shown(carol, ROOM, stored);
  if (JSON.stringify(history) !== JSON.stringify(stored)) {
    throw new Error(`stored: ${JSON.stringify(history)}`);
  }
});

await test("an operator kicks a user, who is told", async (page) => {
  const mallory = await chat(page, "mallory", "general");
  await say(mallory, "general", "spam spam spam");
  const operator = await chat(page, "operator", "general");
  await roomOf(operator, "general").locator(".chat-author", { hasText: "mallory" }).first().waitFor();
  await operator.getByRole("button", { name: "Operator", exact: true }).click();
  // Without a token the admin namespace refuses.
  await operator.getByRole("button", { name: "Connect" }).click();
  await operator.locator(".admin-console .fs-badge[data-state='refused']").waitFor();
  await operator.getByLabel("Operator token").fill(TOKEN);
  await operator.getByRole("button", { name: "Connect" }).click();
  await operator.locator(".admin-console .fs-badge[data-state='connected']").waitFor();
  await operator.locator(".admin-stats").waitFor();
  await operator.getByRole("button", { name: "Kick mallory" }).click();
  await operator.locator(".fs-toast", { hasText: "Kicked mallory" }).waitFor();
  await operator.screenshot({ path: join(SHOTS, "operator-light.png") });
  await roomOf(mallory, "general").getByRole("alert").filter({ hasText: "disconnected" }).waitFor();
  await roomOf(mallory, "general").locator('.fs-badge[data-state="closed"]').waitFor();
  // Every socket of the user went: the lobby's too (its badge is the header's), two in all.
  await mallory.locator('header .fs-badge[data-state="closed"]').waitFor();
  await operator.locator(".fs-toast", { hasText: "2 socket(s) closed" }).waitFor();
});

await test("the generated dashboard at /dashboard: a form's message reaches the room", async (page) => {
  const reader = await chat(page, "kim", "general");
  const p = await page("/dashboard?username=lee");
  await p.getByRole("heading", { level: 1, name: "Fastsocket Chat" }).waitFor();
  const entry = await openNamespace(p, "Room namespace", { roomId: "general" });
  await entry.locator('.fs-status[data-state="connected"]').waitFor();
  await p.locator('nav[aria-label="Namespaces"] button', { hasText: "Room namespace" }).locator('[data-state="connected"]').waitFor();
  const form = entry.locator('form[aria-label="Send message"]');
  await form.getByRole("textbox", { name: "text" }).fill("hello from the console");
  await form.getByRole("button", { name: "Send" }).click();
  await form.locator("output.fs-answer").filter({ hasText: "messageId" }).waitFor();
  await roomOf(reader, "general").locator(".chat-text", { hasText: "hello from the console" }).waitFor();
  // The generated feed shows it as a card with labelled fields.
  await entry.locator('section.fs-feed[aria-label="Message"] .fs-message dt', { hasText: "text" }).first().waitFor();
});

await test("the dashboard's form shows a validation message and sends nothing", async (page) => {
  const p = await page("/dashboard?username=mia");
  const sent = countFrames(p, "send_message");
  const entry = await openNamespace(p, "Room namespace", { roomId: "general" });
  await entry.locator('.fs-status[data-state="connected"]').waitFor();
  const form = entry.locator('form[aria-label="Send message"]');
  await form.getByRole("textbox", { name: "text" }).fill("");
  await form.getByRole("button", { name: "Send" }).click();
  await form.getByRole("alert", { name: "Send message: problems" }).filter({ hasText: "/text" }).waitFor();
  await p.waitForTimeout(300);
  if (sent.count !== 0) {
    throw new Error(`${sent.count} send_message frame(s) went out`);
  }
});

await test("the dashboard's admin namespace: refused without a token, connected with one", async (page) => {
  const p = await page("/dashboard?username=ops");
  let entry = await openNamespace(p, "Admin namespace");
  await entry.locator(".fs-failure").filter({ hasText: "Connection refused" }).waitFor();
  await p.locator(".fs-toast", { hasText: "connection refused" }).first().waitFor();
  await p.getByLabel("Token", { exact: true }).fill(TOKEN);
  entry = await openNamespace(p, "Admin namespace");
  await entry.locator('.fs-status[data-state="connected"]').waitFor();
  await entry.locator('section.fs-feed[aria-label="Server statistics"] li.fs-message').first().waitFor();
});

await test("accessibility: no serious or critical axe violations, light and dark; no sideways scrolling at 390 px", async (page) => {
  const alice = await chat(page, "alice", "general");
  const problems = [];
  const scan = async (p, what) => {
    await inBothSchemes(p, async (scheme) => {
      for (const v of await seriousViolations(p)) {
        problems.push(`${what} (${scheme}): ${v}`);
      }
    });
    await p.emulateMedia({ colorScheme: "light" });
  };
  await scan(alice, "chat");
  await alice.getByRole("button", { name: "Operator", exact: true }).click();
  await scan(alice, "operator view");
  const dash = await page("/dashboard?username=axe");
  await openNamespace(dash, "Room namespace", { roomId: "general" });
  await dash.locator('.fs-status[data-state="connected"]').waitFor();
  await scan(dash, "dashboard");
  for (const [p, what] of [
    [alice, "operator view"],
    [dash, "dashboard"],
  ]) {
    await p.setViewportSize(PHONE);
    const overflow = await horizontalOverflow(p);
    if (overflow > 0) {
      problems.push(`${what} scrolls ${overflow} px sideways at 390 px`);
    }
  }
  await alice.getByRole("button", { name: "Chat", exact: true }).click();
  const overflow = await horizontalOverflow(alice);
  if (overflow > 0) {
    problems.push(`chat scrolls ${overflow} px sideways at 390 px`);
  }
  if (problems.length > 0) {
    throw new Error(problems.slice(0, 8).join(" | "));
  }
});

await test("the live monitor: a wrong token is refused; its charts move under traffic; accessible, light and dark", async (page) => {
  const mon = await page("/monitor");
  await mon.getByLabel("Monitor token").fill("not-the-token");
  await mon.getByRole("button", { name: "Connect", exact: true }).click();
  await mon.getByRole("alert").filter({ hasText: "wrong monitor token" }).waitFor();
  await mon.getByLabel("Monitor token").fill(MONITOR_TOKEN);
  await mon.getByRole("button", { name: "Connect", exact: true }).click();
  await mon.locator('.fs-badge[data-state="connected"]').waitFor();
  const chart = (name) => mon.locator(`.fs-monitor-chart[data-chart="${name}"]`);
  // Snapshots arrive every second: the charts gain points.
  await mon.waitForFunction(() => Number(document.querySelector('[data-chart="clients"]')?.getAttribute("data-points")) >= 2);
  const alice = await chat(page, "alice", "monitored");
  const bob = await chat(page, "bob", "monitored");
  // Traffic for a few seconds, so that every chart has a shape.
  for (let i = 0; i < 12; i += 1) {
    await say(i % 2 === 0 ? alice : bob, "monitored", `Load test message ${i}`);
    await alice.waitForTimeout(250);
  }
  // The largest value each chart has drawn.
  const peakAtLeast = (name, min) =>
    mon.waitForFunction(([n, m]) => Number(document.querySelector(`[data-chart="${n}"]`)?.getAttribute("data-peak")) >= m, [name, min]);
  await peakAtLeast("clients", 2);
  await peakAtLeast("rates", 0.5);
  await peakAtLeast("latency", 0.000001);
  await mon.locator(".fs-monitor-activity li", { hasText: "send_message" }).first().waitFor();
  await say(alice, "monitored", "One more, for the picture.");
  await mon.waitForTimeout(1200);
  const problems = [];
  await inBothSchemes(mon, async (scheme) => {
    await mon.waitForTimeout(300);
    for (const v of await seriousViolations(mon)) {
      problems.push(`monitor (${scheme}): ${v}`);
    }
    await mon.screenshot({ path: join(SHOTS, `monitor-${scheme}.png`), fullPage: true });
  });
  await mon.emulateMedia({ colorScheme: "light" });
  await mon.setViewportSize(PHONE);
  const overflow = await horizontalOverflow(mon);
  if (overflow > 0) {
    problems.push(`monitor scrolls ${overflow} px sideways at 390 px`);
  }
  if (problems.length > 0) {
    throw new Error(problems.slice(0, 8).join(" | "));
  }
});

await test("screenshots of the design (light, dark, 390 px)", async (page) => {
  const alice = await chat(page, "alice", "design-review");
  const bob = await chat(page, "bob", "design-review");
  await say(alice, "design-review", "Morning! Did the new client build?");
  await say(bob, "design-review", "It did: forms, feeds and the chat all come from the spec.");
  await say(alice, "design-review", "Then let's ship it.");
  await roomOf(bob, "design-review").locator("textarea").fill("Sounds");
  await roomOf(bob, "design-review").locator("textarea").press("!");
  await roomOf(alice, "design-review").locator(".chat-typing", { hasText: "bob is typing…" }).waitFor();
  await alice.emulateMedia({ colorScheme: "light" });
  await alice.screenshot({ path: join(SHOTS, "chat-light.png") });
  await alice.emulateMedia({ colorScheme: "dark" });
  await alice.screenshot({ path: join(SHOTS, "chat-dark.png") });
  await alice.setViewportSize(PHONE);
  await alice.emulateMedia({ colorScheme: "light" });
  await alice.screenshot({ path: join(SHOTS, "chat-phone.png") });
  const dash = await page("/dashboard?username=carl");
  const entry = await openNamespace(dash, "Room namespace", { roomId: "design-review" });
  await entry.locator('.fs-status[data-state="connected"]').waitFor();
  await say(alice, "design-review", "The console shows it too.");
  await entry.locator('section.fs-feed[aria-label="Message"] li.fs-message').first().waitFor();
  await dash.emulateMedia({ colorScheme: "light" });
  await dash.screenshot({ path: join(SHOTS, "dashboard-light.png") });
  await dash.emulateMedia({ colorScheme: "dark" });
  await dash.screenshot({ path: join(SHOTS, "dashboard-dark.png") });
  await dash.setViewportSize(PHONE);
  await dash.emulateMedia({ colorScheme: "light" });
  await dash.screenshot({ path: join(SHOTS, "dashboard-phone.png") });
  console.log(`  screenshots: ${SHOTS}`);
});

await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
