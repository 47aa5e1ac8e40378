// Persona's own Web SDK (the `persona` npm package, 5.x) against the sandbox, in headless
// Chromium: a host page on its own origin loads node_modules/persona/dist/persona.js and opens
// the sandbox's /widget with `host: 'localhost:PORT/ns/NS'`; the sandbox's flow page runs in the
// SDK's iframe and the SDK's callbacks fire with the real inquiry; the API and a webhook
// receiver then see the inquiry's new status.
// Usage: node persona-sdk.mjs BASE_URL      (run by tests/it/vendors/persona/sdk.rs)
import { chromium } from "playwright-core";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [base] = process.argv.slice(2);
if (!base) { console.error("usage: node persona-sdk.mjs BASE_URL"); process.exit(2); }
const ns = "persona-sdk";
const port = new URL(base).port;
// The SDK makes http:// URLs only for hosts starting with "localhost"; the path prefix picks
// the sandbox namespace.
const HOST = `localhost:${port}/ns/${ns}`;
const sandbox = `http://localhost:${port}`;
const AUTH = { authorization: "Bearer persona_sandbox_sdk", "x-sandbox-namespace": ns };

const sdk = readFileSync(new URL("./node_modules/persona/dist/persona.js", import.meta.url));
const hostPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>App</title></head>
<body>
<h1>The app</h1>
<div id="inline-slot" style="width:420px;height:700px"></div>
<script src="/persona.js"></script>
<script>
  window.HOST = ${JSON.stringify(HOST)};
  window.log = [];
  function callbacks(tag) {
    const rec = (cb) => function () {
      log.push({ tag, cb, args: JSON.parse(JSON.stringify(Array.from(arguments))) });
    };
    return { onLoad: rec("onLoad"), onReady: rec("onReady"), onComplete: rec("onComplete"),
             onCancel: rec("onCancel"), onError: rec("onError"), onEvent: rec("onEvent") };
  }
  window.clients = {};
  // The embedded (modal) flow, opened on onReady as the SDK's docs do.
  window.startEmbedded = function (tag, options) {
    const cbs = callbacks(tag);
    const ready = cbs.onReady;
    const client = new Persona.Client(Object.assign({ host: HOST }, options, cbs, {
      onReady: function () { ready(); client.open(); },
    }));
    clients[tag] = client;
    return client.containerElement.id;
  };
  // The inline flow: what persona-react's <Inquiry> does with the same package.
  window.startInline = function (tag, options) {
    const iframe = document.createElement("iframe");
    iframe.id = "inline-" + tag;
    iframe.style.cssText = "width:100%;height:100%;border:0";
    document.getElementById("inline-slot").appendChild(iframe);
    const containerId = "persona-inline-" + tag;
    const opts = Object.assign({ host: HOST }, options, callbacks(tag));
    Persona.setupEvents(containerId, opts);
    Persona.setupIframe(iframe, containerId, "inline", opts);
    return containerId;
  };
</script>
</body></html>`;

// The README's example page, with the SDK served here and the test sandbox as its host.
const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const example = readme.split("## Persona's Web SDK")[1]?.split("```html\n")[1]?.split("```")[0];
if (!example) throw new Error("README: no html example under ## Persona's Web SDK");
const examplePage = example
  .replace(/<script src="[^"]*persona\.js"><\/script>/, '<script src="/persona.js"></script>')
  .replace("host: 'localhost:5000'", `host: ${JSON.stringify(HOST)}`);

const app = createServer((req, res) => {
  if (req.url === "/readme") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(examplePage);
  } else if (req.url === "/persona.js") {
    res.writeHead(200, { "content-type": "text/javascript" });
    res.end(sdk);
  } else {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(hostPage);
  }
});
await new Promise((resolve) => app.listen(0, "127.0.0.1", resolve));
const appUrl = `http://127.0.0.1:${app.address().port}`;

// A webhook receiver, registered through Persona's webhooks API.
const hooks = [];
const receiver = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => { body += c; });
  req.on("end", () => {
    try { hooks.push(JSON.parse(body)); } catch { hooks.push({ raw: body }); }
    res.writeHead(200).end("ok");
  });
});
await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));

async function api(method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body ? { ...AUTH, "content-type": "application/json" } : AUTH,
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
const created = await api("POST", "/api/v1/webhooks", {
  data: { attributes: { url: `http://127.0.0.1:${receiver.address().port}/hook`, "enabled-events": ["*"] } },
});
if (created.status !== 201) throw new Error(`create webhook: ${created.status} ${JSON.stringify(created.body)}`);

const profile = mkdtempSync(join(tmpdir(), "sandbox-chromium-"));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1200, height: 900 },
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let passed = 0;
let failed = 0;
const step = async (name, fn) => {
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`not ok - ${name}: ${e.stack || e}`);
  }
};
const expect = (cond, what, detail) => {
  if (!cond) throw new Error(`${what}${detail === undefined ? "" : `: ${JSON.stringify(detail)}`}`);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let page;
const logOf = (tag) => page.evaluate((t) => window.log.filter((e) => e.tag === t), tag);
async function waitFor(tag, cb, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const entries = await logOf(tag);
    const hit = entries.find((e) => e.cb === cb);
    if (hit) return { hit, entries };
    if (Date.now() > end) throw new Error(`${tag}: no ${cb}; saw ${JSON.stringify(entries)}`);
    await sleep(50);
  }
}
async function frameOf(containerId) {
  for (let i = 0; i < 200; i++) {
    const frame = page.frames().find((f) => {
      try { return new URL(f.url()).searchParams.get("container-id") === containerId; } catch { return false; }
    });
    if (frame) return frame;
    await sleep(50);
  }
  throw new Error(`no widget frame for ${containerId}`);
}
async function inquiry(id) {
  const res = await api("GET", `/api/v1/inquiries/${id}`);
  expect(res.status === 200, "GET inquiry", res);
  return res.body.data;
}
async function eventNames(id) {
  const res = await api("GET", `/api/v1/events?filter%5Bobject-id%5D=${id}&page%5Bsize%5D=100`);
  expect(res.status === 200, "GET events", res);
  return res.body.data.map((e) => e.attributes.name);
}
async function webhookFor(id, name) {
  for (let i = 0; i < 100; i++) {
    const hit = hooks.find((h) => h?.data?.attributes?.name === name
      && h.data.attributes.payload?.data?.id === id);
    if (hit) return hit;
    await sleep(100);
  }
  throw new Error(`no ${name} webhook for ${id}; got ${hooks.map((h) => h?.data?.attributes?.name)}`);
}
// The SDK's modal slides in for 0.3 s; a click during it can land beside the button.
async function ready(tag) {
  await waitFor(tag, "onReady");
  await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
}
const isOpen = (tag) => page.evaluate((t) => window.clients[t].isOpen, tag);

try {
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(10_000);
  page.on("console", (m) => { if (process.env.VERBOSE) console.log(`console: ${m.text()}`); });
  page.on("pageerror", (e) => { console.error(`page error: ${e.message}`); process.exitCode = 1; });
  await page.goto(`${appUrl}/`);

  let passedId;
  await step("embedded flow: the SDK opens the sandbox's /widget; onLoad, onReady and start fire", async () => {
    const containerId = await page.evaluate(() => window.startEmbedded("pass", {
      templateId: "itmpl_sdk", environmentId: "env_sdk", referenceId: "sdk-user-1",
      fields: { nameFirst: "Jane", birthdate: "1990-01-01" },
    }));
    await waitFor("pass", "onLoad");
    await ready("pass");
    const { entries } = await waitFor("pass", "onEvent");
    const frame = await frameOf(containerId);
    expect(new URL(frame.url()).origin === sandbox, "the iframe is on the sandbox's localhost origin", frame.url());
    await frame.locator("button[value=pass]").waitFor();
    // The page asks for fields, prefilled from the SDK's `fields` option.
    expect(await frame.inputValue("#field-name-first") === "Jane", "name-first prefilled");
    const start = (await logOf("pass")).find((e) => e.cb === "onEvent" && e.args[0] === "start");
    expect(start && /^inq_/.test(start.args[1].inquiryId) && start.args[1].sessionToken, "start event", entries);
    expect(await isOpen("pass"), "the modal is open");
  });

  await step("embedded flow: pass → onComplete with the real inquiry id, status and fields; the modal closes", async () => {
    const containerId = await page.evaluate(() => window.clients.pass.containerElement.id);
    const frame = await frameOf(containerId);
    await frame.fill("#field-name-last", "Doe");
    await frame.click("button[value=pass]");
    const { hit } = await waitFor("pass", "onComplete");
    const result = hit.args[0];
    expect(/^inq_/.test(result.inquiryId), "inquiry id", result);
    expect(result.status === "completed", "status completed", result);
    expect(result.fields["name-first"]?.value === "Jane" && result.fields["name-last"]?.value === "Doe",
      "fields", result.fields);
    expect(result.fields.birthdate?.type === "date", "birthdate is a date field", result.fields);
    expect(!(await isOpen("pass")), "the modal closed");
    passedId = result.inquiryId;
  });

  await step("the passed inquiry is completed in the API, with its events and webhooks", async () => {
    const data = await inquiry(passedId);
    expect(data.attributes.status === "completed", "status", data.attributes.status);
    expect(data.attributes["reference-id"] === "sdk-user-1", "reference id", data.attributes);
    expect(data.attributes.fields["name-last"]?.value === "Doe", "name-last stored", data.attributes.fields);
    const verifications = data.relationships.verifications.data;
    expect(Array.isArray(verifications) && verifications.length === 3, "the flow's three verifications", data.relationships);
    for (const v of verifications) {
      const res = await api("GET", `/api/v1/verifications/${v.id}`);
      expect(res.body?.data?.attributes?.status === "passed", `verification ${v.type} passed`, res);
    }
    expect(data.relationships.account?.data?.id?.startsWith("act_"), "an account for the reference id", data.relationships);
    const names = await eventNames(passedId);
    for (const name of ["inquiry.created", "inquiry.started", "inquiry.completed"]) {
      expect(names.includes(name), `event ${name}`, names);
    }
    await webhookFor(passedId, "inquiry.completed");
  });

  await step("embedded flow: fail → onComplete with status failed", async () => {
    const containerId = await page.evaluate(() => window.startEmbedded("fail", { templateId: "itmpl_sdk" }));
    await ready("fail");
    const frame = await frameOf(containerId);
    await frame.click("button[value=fail]");
    const { hit, entries } = await waitFor("fail", "onComplete");
    expect(hit.args[0].status === "failed", "status failed", hit.args[0]);
    expect(entries.some((e) => e.cb === "onEvent" && e.args[0] === "fail"), "onEvent fail", entries);
    expect((await inquiry(hit.args[0].inquiryId)).attributes.status === "failed", "failed in the API");
    await webhookFor(hit.args[0].inquiryId, "inquiry.failed");
  });

  let cancelled;
  await step("embedded flow: the page's Cancel → onCancel with the inquiry id and session token", async () => {
    const containerId = await page.evaluate(() => window.startEmbedded("cancel", { templateId: "itmpl_sdk" }));
    await ready("cancel");
    const frame = await frameOf(containerId);
    await frame.click("#persona-cancel");
    const { hit } = await waitFor("cancel", "onCancel");
    cancelled = hit.args[0];
    expect(/^inq_/.test(cancelled.inquiryId) && typeof cancelled.sessionToken === "string" && cancelled.sessionToken,
      "inquiry id and session token", cancelled);
    expect(!(await isOpen("cancel")), "the modal closed");
    expect((await inquiry(cancelled.inquiryId)).attributes.status === "created", "unchanged in the API");
  });

  await step("client.cancel() → the page answers exit → onCancel", async () => {
    await page.evaluate(() => window.startEmbedded("sdk-cancel", { templateId: "itmpl_sdk" }));
    await ready("sdk-cancel");
    await page.evaluate(() => window.clients["sdk-cancel"].cancel(true));
    const { hit } = await waitFor("sdk-cancel", "onCancel");
    expect(/^inq_/.test(hit.args[0].inquiryId) && hit.args[0].sessionToken, "cancel metadata", hit.args[0]);
    expect(!(await isOpen("sdk-cancel")), "the modal closed");
    // Opened again (the SDK shows the same page, not reloaded), it cancels again.
    await page.evaluate(() => window.clients["sdk-cancel"].open());
    await page.evaluate(() => window.clients["sdk-cancel"].cancel(true));
    for (let i = 0; (await logOf("sdk-cancel")).filter((e) => e.cb === "onCancel").length < 2; i++) {
      if (i > 200) throw new Error("no second onCancel after open()");
      await sleep(50);
    }
    expect(!(await isOpen("sdk-cancel")), "the modal closed again");
  });

  await step("resume a cancelled inquiry with inquiryId + sessionToken → pass → onComplete, same inquiry", async () => {
    const containerId = await page.evaluate((c) => window.startEmbedded("resume-cancelled", c), cancelled);
    await ready("resume-cancelled");
    const frame = await frameOf(containerId);
    await frame.click("button[value=pass]");
    const { hit } = await waitFor("resume-cancelled", "onComplete");
    expect(hit.args[0].inquiryId === cancelled.inquiryId && hit.args[0].status === "completed", "resumed", hit.args[0]);
  });

  await step("resume an inquiry created through the API with the session token from /resume", async () => {
    const made = await api("POST", "/api/v1/inquiries", {
      data: { attributes: { "inquiry-template-id": "itmpl_sdk", "reference-id": "sdk-api", fields: { "name-first": "Ada" } } },
    });
    expect(made.status === 201, "create", made);
    const id = made.body.data.id;
    const started = await api("POST", `/api/v1/inquiries/${id}/perform-simulate-actions`,
      { meta: { "simulate-actions": [{ type: "start_inquiry" }] } });
    expect(started.status === 200, "start", started);
    const resumed = await api("POST", `/api/v1/inquiries/${id}/resume`);
    expect(resumed.status === 200, "resume", resumed);
    const sessionToken = resumed.body.meta["session-token"];
    const containerId = await page.evaluate((o) => window.startEmbedded("resume-api", o), { inquiryId: id, sessionToken });
    await ready("resume-api");
    const frame = await frameOf(containerId);
    expect(await frame.inputValue("#field-name-first") === "Ada", "the inquiry's fields");
    await frame.click("button[value=pass]");
    const { hit } = await waitFor("resume-api", "onComplete");
    expect(hit.args[0].inquiryId === id && hit.args[0].status === "completed", "completed", hit.args[0]);
    expect(hit.args[0].fields["name-first"]?.value === "Ada", "fields", hit.args[0]);
    expect((await inquiry(id)).attributes.status === "completed", "completed in the API");
  });

  await step("a wrong session token → onError unauthenticated", async () => {
    const made = await api("POST", "/api/v1/inquiries", { data: { attributes: { "inquiry-template-id": "itmpl_sdk" } } });
    const id = made.body.data.id;
    await page.evaluate((o) => window.startEmbedded("bad-token", o), { inquiryId: id, sessionToken: "not-the-token" });
    const { hit } = await waitFor("bad-token", "onError");
    expect(hit.args[0].code === "unauthenticated" && hit.args[0].status === 409, "error", hit.args[0]);
    await page.evaluate(() => window.clients["bad-token"].destroy());
  });

  await step("inline flow (setupIframe + setupEvents): onReady, pass → onComplete, the page shows the result", async () => {
    const containerId = await page.evaluate(() => window.startInline("inline", { templateId: "itmpl_inline", referenceId: "sdk-inline" }));
    await ready("inline");
    const frame = await frameOf(containerId);
    expect(new URL(frame.url()).searchParams.get("flow-type") === "inline", "flow-type inline", frame.url());
    await frame.fill("#field-name-first", "Ines");
    await frame.click("button[value=pass]");
    const { hit } = await waitFor("inline", "onComplete");
    expect(hit.args[0].status === "completed" && hit.args[0].fields["name-first"]?.value === "Ines", "complete", hit.args[0]);
    await frame.locator("#persona-done", { hasText: "completed" }).waitFor();
    let changes = [];
    for (let i = 0; i < 100 && changes.length < 2; i++) {
      changes = (await logOf("inline")).filter((e) => e.cb === "onEvent" && e.args[0] === "page-change");
      if (changes.length < 2) await sleep(50);
    }
    expect(changes.length === 2 && changes[1].args[1].pathname === "/done" && changes[1].args[1].pageHeight > 0,
      "page-change on load and on the result", changes);
    const data = await inquiry(hit.args[0].inquiryId);
    expect(data.attributes["reference-id"] === "sdk-inline" && data.attributes.status === "completed", "API", data.attributes);
  });
  await step("the README's example page runs the embedded flow", async () => {
    expect(examplePage.includes('src="/persona.js"') && examplePage.includes(HOST), "example adapted", examplePage);
    expect(example.trim().split("\n").length <= 15, "a short page", example);
    const readmePage = await browser.newPage();
    readmePage.setDefaultTimeout(10_000);
    const logged = [];
    readmePage.on("console", (m) => logged.push(m.text()));
    readmePage.on("pageerror", (e) => logged.push(`page error: ${e.message}`));
    await readmePage.goto(`${appUrl}/readme`);
    const until = async (pred, what) => {
      for (let i = 0; i < 200 && !logged.some(pred); i++) await sleep(50);
      expect(logged.some(pred), what, logged);
    };
    await until((t) => t === "ready", "ready logged");
    await readmePage.click("button");
    await readmePage.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
    const frame = readmePage.frames().find((f) => f.url().includes("/widget"));
    expect(frame, "the widget frame", readmePage.frames().map((f) => f.url()));
    await frame.click("button[value=pass]");
    await until((t) => /^complete inq_\S+ completed/.test(t), "complete logged");
    expect(!logged.some((t) => t.startsWith("page error")), "no page errors", logged);
    await readmePage.close();
  });
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
  app.close();
  receiver.close();
}
console.log(`${passed} passed, ${failed} failed`);
if (failed > 0) process.exitCode = 1;
