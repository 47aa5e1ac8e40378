// Drives the admin dashboard in headless Chromium: loads the page, makes a vendor call and sees
// it appear (both bodies on click), switches the scenario and advances the clock through the page,
// approves an inquiry and rejects a withdrawer under review from their tables, and checks a
// webhook receiver from the page.
// Usage: node dashboard.mjs BASE_URL [SCREENSHOT.png]   (run by tests/it/admin/dashboard.rs)
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [base, screenshot] = process.argv.slice(2);
if (!base) { console.error("usage: node dashboard.mjs BASE_URL [SCREENSHOT]"); process.exit(2); }
const ns = "dashboard";
const profile = mkdtempSync(join(tmpdir(), "sandbox-chromium-"));
// A fresh profile directory each run (Playwright passes it as --user-data-dir).
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1400, height: 950 },
  // The page's CSP forbids eval, which Playwright's waitForFunction predicates use; the page's
  // own script never needs it.
  bypassCSP: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let passed = 0;
const step = async (name, fn) => { await fn(); passed += 1; console.log(`ok - ${name}`); };
const admin = async (path) => (await fetch(`${base}/__admin${path}?namespace=${ns}`)).json();
try {
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(10_000);
  page.on("pageerror", (e) => { console.error(`page error: ${e.message}`); process.exitCode = 1; });

  await step("the page loads and shows the namespace", async () => {
    await page.goto(`${base}/__admin/?namespace=${ns}`);
    await page.waitForFunction((n) => document.getElementById("namespace").value === n, ns);
    await page.waitForFunction(() => document.getElementById("clock-now").textContent.includes("T"));
  });

  let inquiryId;
  await step("a vendor call appears in the journal, and a click shows both bodies", async () => {
    const res = await fetch(`${base}/api/v1/inquiries`, {
      method: "POST",
      headers: { authorization: "Bearer persona_sandbox_key", "content-type": "application/json", "x-sandbox-namespace": ns },
      body: JSON.stringify({ data: { attributes: { "inquiry-template-id": "itmpl_dashboard", "reference-id": "dash-1" } } }),
    });
    if (res.status !== 201) throw new Error(`create inquiry: ${res.status}`);
    inquiryId = (await res.json()).data.id;
    const row = page.locator("#journal tbody tr", { hasText: "/api/v1/inquiries" }).first();
    await row.waitFor();
    await row.click();
    await page.locator("#detail-request", { hasText: "itmpl_dashboard" }).waitFor();
    await page.locator("#detail-response", { hasText: inquiryId }).waitFor();
    await page.locator("#inquiries tbody tr", { hasText: inquiryId }).waitFor();
  });

  await step("the scenario is switched through the page", async () => {
    await page.selectOption("#scenario", "needs-review");
    for (let i = 0; (await admin("/scenario")).scenario !== "needs-review"; i++) {
      if (i > 100) throw new Error("scenario not switched");
      await page.waitForTimeout(100);
    }
    await page.waitForFunction(() => document.getElementById("scenario").value === "needs-review");
  });

  await step("the clock is advanced through the page", async () => {
    const before = (await admin("/clock")).offset_seconds;
    await page.fill("#advance-seconds", "7200");
    await page.click("#advance");
    await page.waitForFunction((b) => Number(document.getElementById("clock-offset").dataset.seconds) >= b + 7200, before);
    const after = (await admin("/clock")).offset_seconds;
    if (after < before + 7200) throw new Error(`clock at +${after}s`);
  });

  await step("an entity trigger approves the inquiry", async () => {
    await page.locator(`button[data-inquiry="${inquiryId}"][data-action="approve"]`).click();
    await page.locator("#inquiries tbody tr", { hasText: inquiryId }).locator(".status", { hasText: "approved" }).waitFor();
  });

  await step("a reviewer rejects a Coinflow withdrawer under review", async () => {
    const res = await fetch(`${base}/api/withdraw/kyc`, {
      method: "POST",
      headers: { authorization: "dashboard_merchant", "x-coinflow-auth-user-id": "dash-review", "content-type": "application/json", "x-sandbox-namespace": ns },
      body: JSON.stringify({ info: { email: "dash+review@example.com", firstName: "Jane", surName: "Doe", physicalAddress: "1 Main St",
        city: "Austin", state: "TX", zip: "78701", country: "US", dob: "19900131", ssn: "1234" } }),
    });
    if (res.status !== 451) throw new Error(`register for review: ${res.status}`);
    const id = (await res.json()).withdrawer._id;
    await page.locator(`button[data-withdrawer="${id}"][data-decision="reject"]`).click();
    await page.locator("#withdrawers tbody tr", { hasText: id }).locator(".status", { hasText: "rejected" }).waitFor();
    const state = await admin("/state");
    const w = state.coinflow.withdrawers.find((x) => x.id === id);
    if (!w || w.status !== "rejected") throw new Error(`withdrawer ${JSON.stringify(w)}`);
  });

  await step("the webhook check runs from the page and reports a receiver that accepts everything", async () => {
    const { createServer } = await import("node:http");
    let received = 0;
    const receiver = createServer((req, res) => { received += 1; req.resume(); req.on("end", () => { res.writeHead(200); res.end("ok"); }); });
    await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    try {
      await page.selectOption("#check-vendor", "bitmama");
      await page.fill("#check-url", `http://127.0.0.1:${receiver.address().port}/hooks`);
      await page.fill("#check-secret", "whsec_dashboard");
      await page.click("#check-run");
      await page.locator("#check-verdict", { hasText: "receiver FAILED" }).waitFor();
      await page.locator("#check-cases tbody tr", { hasText: "wrong-secret" }).locator(".status", { hasText: "wrong" }).waitFor();
      // One click, one check: each case sent once (the page has been open for seconds, and its
      // refreshes must not have added a listener each).
      const cases = await page.locator("#check-cases tbody tr").count();
      if (received !== cases) throw new Error(`the receiver got ${received} requests for ${cases} cases`);
    } finally {
      receiver.close();
    }
  });

  if (screenshot) {
    await page.locator("#journal tbody tr").first().click();
    await page.waitForTimeout(300);
    await page.screenshot({ path: screenshot, fullPage: true });
  }
} catch (e) {
  console.error(`not ok - ${e.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(`dashboard: ${passed} passed, ${process.exitCode ? 1 : 0} failed`);
