// Drives the system Chromium for browsertest.Run (browsertest.go): reads
// the scenarios as JSON on stdin, plays their steps, and at each "check"
// takes a screenshot and runs axe-core; writes the results as JSON on
// stdout. It decides nothing: the Go test judges the results.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const input = JSON.parse(readFileSync(0, "utf8"));

// A text node that looks like a catalog key ("nav.home") is a message the
// catalog lacks: the Localizer shows the key itself.
function findKeys() {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    // translate="no" marks data that is not text to translate: a domain
    // name (the helpline's console) looks like a catalog key.
    if (n.parentElement?.closest('[translate="no"]')) continue;
    const s = n.textContent.trim();
    // translate="no" marks a proper name that looks like a key ("itch.io").
    if (n.parentElement?.closest('[translate="no"]')) continue;
    if (/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/.test(s)) out.push(s);
  }
  for (const el of document.querySelectorAll("[aria-label],[title],[placeholder]")) {
    for (const a of ["aria-label", "title", "placeholder"]) {
      const s = (el.getAttribute(a) || "").trim();
      if (/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/.test(s)) out.push(s);
    }
  }
  return out;
}

async function check(page, axePage, sc, step, consoleErrors) {
  const shot = path.join(input.outDir, step.name + ".png");
  await page.screenshot({ path: shot, fullPage: true });
  const facts = await page.evaluate(() => ({
    lang: document.documentElement.lang,
    dir: document.documentElement.dir,
    overflowPx: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    title: document.title,
  }));
  const untranslated = await page.evaluate(findKeys);
  // axe runs in a second page that ignores the CSP, so that its script can
  // be injected; the first page keeps the CSP, whose violations show as
  // console errors.
  // The second page is given the first one's document as it stands (after
  // a POST too, which a reload could not repeat), at the same URL so that
  // its stylesheets load.
  const html = await page.content();
  await axePage.route(page.url(), (r) => r.fulfill({ body: html, contentType: "text/html; charset=utf-8" }), { times: 1 });
  await axePage.goto(page.url());
  await axePage.addScriptTag({ content: axeSource });
  const axe = await axePage.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.map((n) => n.target.join(" ")),
    }));
  });
  return { name: step.name, url: page.url(), screenshot: shot, ...facts, untranslated,
    consoleErrors: consoleErrors.splice(0), violations: axe };
}

async function play(browser, sc) {
  const opts = { viewport: { width: sc.width, height: sc.height }, locale: sc.locale || "en-US", deviceScaleFactor: 1 };
  const ctx = await browser.newContext(opts);
  const axeCtx = await browser.newContext({ ...opts, bypassCSP: true });
  const result = { name: sc.name, checks: [] };
  const consoleErrors = [];
  try {
    if (sc.cookies?.length) await ctx.addCookies(sc.cookies);
    const page = await ctx.newPage();
    page.setDefaultTimeout(input.stepTimeoutMs);
    // A page answered 401 or 422 on purpose shows as "Failed to load
    // resource" in the console: such messages are left out, and a
    // stylesheet, script or image that fails is told from its response.
    page.on("console", (m) => {
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) consoleErrors.push(m.text());
    });
    page.on("response", (r) => {
      if (r.status() >= 400 && r.request().resourceType() !== "document") consoleErrors.push(`${r.status()} for ${r.url()}`);
    });
    page.on("requestfailed", (r) => consoleErrors.push(`${r.failure()?.errorText} for ${r.url()}`));
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    const axePage = await axeCtx.newPage();
    for (const [i, st] of sc.steps.entries()) {
      try {
        switch (st.do) {
          case "goto": await page.goto(st.url); break;
          case "fill": await page.fill(st.selector, st.value); break;
          case "select": await page.selectOption(st.selector, st.value); break;
          case "click": await page.click(st.selector); await page.waitForLoadState("load"); break;
          case "press": await page.press(st.selector, st.value); break;
          case "waitFor": await page.waitForSelector(st.selector); break;
          case "expectText": {
            const got = (await page.textContent(st.selector)) ?? "";
            if (!got.includes(st.value)) throw new Error(`text is ${JSON.stringify(got.trim())}`);
            break;
          }
          case "expectAttr": {
            const got = await page.getAttribute(st.selector, st.attr);
            if (got !== st.value) throw new Error(`${st.attr} is ${JSON.stringify(got)}`);
            break;
          }
          case "check":
            await axeCtx.addCookies(await ctx.cookies());
            result.checks.push(await check(page, axePage, sc, st, consoleErrors));
            break;
          default: throw new Error("unknown step");
        }
      } catch (e) {
        result.error = `step ${i + 1} (${st.do} ${st.selector || st.url || st.name || ""}): ${e.message.split("\n")[0]}`;
        break;
      }
    }
  } finally {
    await ctx.close();
    await axeCtx.close();
  }
  return result;
}

const browser = await chromium.launch({ executablePath: input.chromium, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", ...(input.args || [])] });
try {
  const out = [];
  for (const sc of input.scenarios) out.push(await play(browser, sc));
  process.stdout.write(JSON.stringify({ scenarios: out }));
} finally {
  await browser.close();
}
