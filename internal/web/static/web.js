// amane's shared script: progressive enhancement only; every page works
// without it. It reads the CSRF token from <body data-csrf> (the layout
// puts it there, no inline script) and offers window.amane.send for the
// pages that call the JSON API, and asks before a button marked
// data-confirm submits its form.
"use strict";
(function () {
  const token = () => document.body.dataset.csrf || "";

  async function send(method, url, body) {
    const res = await fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = res.headers.get("Content-Type")?.startsWith("application/json") ? await res.json() : null;
    return { ok: res.ok, status: res.status, data: data };
  }

  document.addEventListener("submit", (ev) => {
    const b = ev.submitter;
    if (b && b.dataset.confirm && !window.confirm(b.dataset.confirm)) {
      ev.preventDefault();
    }
  });

  window.amane = Object.freeze({ send: send, token: token });
})();
