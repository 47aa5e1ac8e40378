// Coinflow's real React SDK (@coinflowlabs/react, bundled here with esbuild) against the
// sandbox, in headless Chromium: a host page on its own origin renders CoinflowWithdraw and
// CoinflowBankLink with env="local"; their iframes load the sandbox's pages from
// http://localhost:3000 (--coinflow-ui-port), and the components' callbacks fire with what the
// sandbox really did, which the API, the balance and a webhook receiver then confirm.
// Usage: node coinflow-withdraw.mjs API_BASE_URL UI_BASE_URL   (run by tests/it/vendors/coinflow/ui_sdk.rs)
import { chromium } from "playwright-core";
import { build } from "esbuild";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [base, ui] = process.argv.slice(2);
if (!base || !ui) {
  console.error("usage: node coinflow-withdraw.mjs API_BASE_URL UI_BASE_URL");
  process.exit(2);
}
const ns = "coinflow-sdk";
const KEY = "coinflow_sdk_merchant_key";
const PERSONA = { authorization: "Bearer persona_sdk_key", "x-sandbox-namespace": ns };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The bundles, built into a temporary folder (not committed): the test's host page, and the
// README's example component rendered with the session key.
const out = mkdtempSync(join(tmpdir(), "coinflow-bundle-"));
const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const example = readme.split("### Coinflow's React components")[1]?.split("```jsx\n")[1]?.split("```")[0];
if (!example) throw new Error("README: no jsx example under ### Coinflow's React components");
writeFileSync(join(out, "readme-example.jsx"), example);
writeFileSync(join(out, "readme-entry.jsx"), 'import { createRoot } from "react-dom/client";\n' +
  'import { Withdraw } from "./readme-example.jsx";\n' +
  'createRoot(document.getElementById("root")).render(<Withdraw sessionKey={window.CONFIG.sessionKey} />);\n');
const here = (file) => new URL(file, import.meta.url).pathname;
for (const [entry, outfile] of [[here("./coinflow-entry.jsx"), "bundle.js"], [join(out, "readme-entry.jsx"), "readme.js"]]) {
  await build({
    entryPoints: [entry],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2020",
    jsx: "automatic",
    nodePaths: [here("./node_modules")],
    alias: { "@solana/web3.js": here("./solana-web3-stub.js") },
    define: { "process.env.NODE_ENV": '"production"' },
    outfile: join(out, outfile),
    logLevel: "error",
  });
}
const bundles = { "/bundle.js": readFileSync(join(out, "bundle.js")), "/readme.js": readFileSync(join(out, "readme.js")) };
const app = createServer((req, res) => {
  if (bundles[req.url]) {
    res.writeHead(200, { "content-type": "text/javascript" });
    res.end(bundles[req.url]);
  } else {
    const script = req.url === "/readme" ? "/readme.js" : "/bundle.js";
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end('<!doctype html><html><head><meta charset="utf-8"><title>Merchant app</title></head>' +
      `<body><h1>Merchant app</h1><div id="root"></div><script src="${script}"></script></body></html>`);
  }
});
await new Promise((resolve) => app.listen(0, "127.0.0.1", resolve));
const appUrl = `http://127.0.0.1:${app.address().port}/`;

// Coinflow's webhooks go to this receiver.
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

async function call(method, path, headers, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body ? { ...headers, "content-type": "application/json" } : headers,
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let parsed = text;
  try { parsed = JSON.parse(text); } catch { /* HTML or empty */ }
  return { status: res.status, body: parsed };
}
const must = (r, what) => {
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};
const asUser = (user) => ({ authorization: KEY, "x-coinflow-auth-user-id": user, "x-sandbox-namespace": ns });
const admin = { "x-sandbox-namespace": ns };

must(await call("PUT", "/__admin/webhook-targets", admin,
  { coinflow: { url: `http://127.0.0.1:${receiver.address().port}/hook`, secret: "whsec_sdk" } }), "webhook target");

// The brief's order: a Persona share token, Register User Via Share Token, then the component.
async function register(user, fields) {
  const inquiry = must(await call("POST", "/api/v1/inquiries", PERSONA,
    { data: { attributes: { "inquiry-template-id": "itmpl_sdk", fields } } }), "inquiry").data.id;
  must(await call("POST", `/api/v1/inquiries/${inquiry}/perform-simulate-actions`, PERSONA,
    { meta: { "simulate-actions": [{ type: "start_inquiry" }, { type: "complete_inquiry" }, { type: "approve_inquiry" }] } }), "simulate");
  const token = must(await call("POST", "/api/v1/connect/share-tokens", PERSONA,
    { data: { attributes: { "connection-id": "cxn_coinflow", "source-id": inquiry } } }), "share token").data.id;
  must(await call("POST", "/api/withdraw/kyc/share-token", asUser(user),
    { vendor: "persona", shareToken: token, email: `${user}@example.com` }), "register");
  must(await call("POST", "/__admin/clock/advance", admin, { seconds: 5 }), "clock");
  return must(await call("GET", "/api/auth/session-key", asUser(user)), "session key").key;
}
const fields = {
  "name-first": "Jane", "name-last": "Doe", birthdate: "1990-01-31", "address-street-1": "1 Main St",
  "address-city": "Austin", "address-subdivision": "TX", "address-postal-code": "78701", "address-country-code": "US",
};
const sessionKey = await register("sdk-user", fields);
const verified = await call("GET", "/api/withdraw", asUser("sdk-user"));
if (verified.status !== 200) throw new Error(`withdrawer not approved: ${JSON.stringify(verified.body)}`);
const balance = async () => must(await call("GET", "/api/merchant/withdraws/payout/balance",
  { authorization: KEY, "x-sandbox-namespace": ns }), "balance").balance.cents;

const profile = mkdtempSync(join(tmpdir(), "sandbox-chromium-"));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1200, height: 900 },
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
// Only loopback: the SDK's nSure device id needs no network, and nothing may leave the machine.
await browser.route("**/*", (route) => {
  const host = new URL(route.request().url()).hostname;
  return ["127.0.0.1", "localhost"].includes(host) ? route.continue() : route.abort();
});

let passed = 0;
let failed = 0;
function expect(ok, what, detail) {
  if (!ok) throw new Error(`${what}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
}
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

// Opens the host page with `config` and returns the page and the component's iframe.
async function open(config, route, path = "") {
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  page.on("pageerror", (e) => console.log(`page error: ${e.message}`));
  page.logged = [];
  page.on("console", (m) => page.logged.push(m.text()));
  await page.addInitScript((c) => { window.CONFIG = c; }, config);
  await page.goto(appUrl + path);
  let frame;
  for (let i = 0; i < 200 && !frame; i++) {
    frame = page.frames().find((f) => f.url().startsWith(`${ui}/solana/${route}/`));
    if (!frame) await sleep(50);
  }
  expect(frame, "the component's iframe", page.frames().map((f) => f.url()));
  await frame.waitForSelector("#title");
  return { page, frame };
}
async function callback(page, name, count = 1) {
  for (let i = 0; i < 200; i++) {
    const log = await page.evaluate(() => window.log);
    const calls = log.filter((l) => l.name === name);
    if (calls.length >= count) return calls[count - 1].args;
    await sleep(50);
  }
  throw new Error(`${name} never fired: ${JSON.stringify(await page.evaluate(() => window.log))}`);
}
// Another account number for each alias: the same account linked again is the one already there.
async function linkBank(frame, alias, accountNumber = "123456789") {
  await frame.fill("#bank-form input[name=alias]", alias);
  await frame.fill("#bank-form input[name=name]", "Jane Doe");
  await frame.fill("#bank-form input[name=routingNumber]", "021000021");
  await frame.fill("#bank-form input[name=accountNumber]", accountNumber);
  await frame.click("#link-bank");
}
const config = { merchantId: "sandbox-merchant", sessionKey, email: "sdk-user@example.com" };

try {
  await step("CoinflowWithdraw: the iframe is the sandbox's page for the session's user, and sizes itself", async () => {
    const { page, frame } = await open({ ...config, component: "withdraw" }, "withdraw");
    const url = new URL(frame.url());
    expect(url.searchParams.get("sessionKey") === sessionKey, "sessionKey in the URL", frame.url());
    expect(url.searchParams.get("useHeightChange"), "useHeightChange in the URL", frame.url());
    const [height] = await callback(page, "handleHeightChange");
    expect(Number(height) > 100, "a height", height);
    expect((await frame.textContent("main")).includes("sdk-user@example.com"), "the user's email", await frame.textContent("main"));
    expect(await frame.isVisible("#no-accounts"), "no account yet", await frame.textContent("main"));
    await page.close();
  });

  let token;
  await step("CoinflowWithdraw: a bank account linked in place fires onAccountLinked with the API's token", async () => {
    const { page, frame } = await open({ ...config, component: "withdraw" }, "withdraw");
    await linkBank(frame, "Everyday");
    const [info] = await callback(page, "onAccountLinked");
    expect(info.type === "bank" && info.tokens.length === 1, "accountLinked info", info);
    token = info.tokens[0];
    const w = must(await call("GET", "/api/withdraw", asUser("sdk-user")), "withdrawer");
    expect(w.withdrawer.bankAccounts.some((a) => a.token === token && a.alias === "Everyday"), "the account in the API", w);
    await page.close();
  });

  await step("CoinflowWithdraw: invalid input fires onInputError and changes nothing", async () => {
    const { page, frame } = await open({ ...config, component: "withdraw" }, "withdraw");
    await frame.fill("input[name=amount]", "abc");
    await frame.click("#continue");
    const [info] = await callback(page, "onInputError");
    expect(info.field === "amount" && /amount/i.test(info.message), "inputError info", info);
    await page.close();
  });

  await step("CoinflowWithdraw: amount, speed with the quote's fee, confirm: a real payout fires onSuccess", async () => {
    const before = await balance();
    const { page, frame } = await open({ ...config, component: "withdraw" }, "withdraw");
    await frame.check(`input[name=account][value="${token}"]`);
    await frame.fill("input[name=amount]", "25.00");
    await frame.click("#continue");
    await frame.waitForSelector("#confirm-form");
    const fee = await frame.getAttribute("input[name=speed][value=same_day]", "data-fee-cents");
    expect(fee === "100", "same_day's fee from the quote", fee);
    await frame.check("input[name=speed][value=same_day]");
    await frame.click("#confirm");
    const [info] = await callback(page, "onSuccess");
    expect(info.paymentId && info.hash, "success info", info);
    const withdrawal = must(await call("GET", `/api/merchant/withdraws/${info.paymentId}`,
      { authorization: KEY, "x-sandbox-namespace": ns }), "withdrawal").withdrawal;
    expect(withdrawal.speed === "same_day" && withdrawal.amount.cents === 2500 && withdrawal.status === "pending", "the payout", withdrawal);
    expect(await balance() === before - 2600, "balance debited amount + fee", { before, after: await balance() });
    const history = must(await call("GET", "/api/withdraw/history", asUser("sdk-user")), "history");
    expect(history.withdraws[0].transaction === info.hash, "in the user's history", history);
    for (let i = 0; i < 100 && !hooks.some((h) => h.eventType === "Withdraw Pending"); i++) await sleep(50);
    const hook = hooks.find((h) => h.eventType === "Withdraw Pending");
    expect(hook && hook.data.signature === info.hash, "Withdraw Pending webhook", hooks);
    await page.close();
  });

  await step("CoinflowWithdraw: a locked amount the balance cannot cover is refused, no onSuccess", async () => {
    const { page, frame } = await open({ ...config, component: "withdraw", amount: 402 }, "withdraw");
    expect(await frame.getAttribute("input[name=amount]", "readonly") !== null, "locked amount", await frame.content());
    await frame.click("#continue");
    await frame.click("#confirm");
    await frame.waitForSelector("#error");
    expect((await frame.textContent("#error")).includes("Insufficient Funds"), "402 shown", await frame.textContent("main"));
    const log = await page.evaluate(() => window.log);
    expect(!log.some((l) => l.name === "onSuccess"), "no onSuccess", log);
    await page.close();
  });

  await step("CoinflowBankLink: links an account (onAccountLinked) and cancels (onAccountNotLinked)", async () => {
    const { page, frame } = await open({ ...config, component: "banklink" }, "checkout-link");
    expect(new URL(frame.url()).searchParams.get("bankLinkOnly") === "true", "bankLinkOnly", frame.url());
    await linkBank(frame, "Savings", "987654321");
    const [info] = await callback(page, "onAccountLinked");
    const w = must(await call("GET", "/api/withdraw", asUser("sdk-user")), "withdrawer");
    expect(w.withdrawer.bankAccounts.some((a) => a.token === info.tokens[0] && a.alias === "Savings"), "linked", w);
    await page.close();
    const again = await open({ ...config, component: "banklink" }, "checkout-link");
    await again.frame.click("#cancel-link");
    const [canceled] = await callback(again.page, "onAccountNotLinked");
    expect(canceled.type === "bank" && canceled.reason === "canceled", "accountNotLinked", canceled);
    await again.page.close();
  });

  await step("the README's example: renders, sizes itself, withdraws and logs onSuccess", async () => {
    const { page, frame } = await open({ sessionKey }, "withdraw", "readme");
    expect(new URL(frame.url()).pathname === "/solana/withdraw/my-merchant", "the README's merchantId", frame.url());
    await frame.fill("input[name=amount]", "10");
    await frame.click("#continue");
    await frame.click("#confirm");
    for (let i = 0; i < 200 && !page.logged.some((t) => t.startsWith("withdrawal ")); i++) await sleep(50);
    const logged = page.logged.find((t) => t.startsWith("withdrawal "));
    expect(logged, "onSuccess logged", page.logged);
    const id = logged.split(" ")[1];
    must(await call("GET", `/api/merchant/withdraws/${id}`, { authorization: KEY, "x-sandbox-namespace": ns }), "the payout");
    const height = await page.evaluate(() => document.querySelector("#root > div").style.height);
    expect(height && height !== "600px", "handleHeightChange sized the container", height);
    await page.close();
  });

  await step("CoinflowWithdraw: an unverified user sees what is missing and the verification form's link", async () => {
    const { "address-street-1": _, ...partial } = fields;
    const key = await register("sdk-missing", partial);
    const { page, frame } = await open({ ...config, sessionKey: key, component: "withdraw" }, "withdraw");
    const text = await frame.textContent("main");
    expect(text.includes("Street address"), "the missing field", text);
    const href = await frame.getAttribute("#verify", "href");
    const gate = await call("GET", "/api/withdraw", asUser("sdk-missing"));
    expect(gate.status === 451 && gate.body.verificationLink === href, "the API's verificationLink", { href, gate });
    await page.close();
  });
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  app.close();
  receiver.close();
}
console.log(`${passed} passed, ${failed} failed`);
if (failed > 0) process.exitCode = 1;
