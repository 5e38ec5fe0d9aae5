// The parents' console's script: progressive enhancement only. An input
// with data-filter="SELECTOR" hides the elements SELECTOR matches whose
// text does not contain what is typed (the apps of a profile), and opens
// the groups that still show some.
"use strict";
(function () {
  document.querySelectorAll("input[data-filter]").forEach((input) => {
    const items = Array.from(document.querySelectorAll(input.dataset.filter));
    input.addEventListener("input", () => {
      const q = input.value.trim().toLocaleLowerCase();
      items.forEach((el) => {
        // The name in the page's language, and the app's id ("tiktok"),
        // so that a parent typing Latin letters finds it in Arabic too.
        const text = (el.textContent + " " + (el.querySelector("input")?.value || "")).toLocaleLowerCase();
        el.hidden = q !== "" && !text.includes(q);
      });
      document.querySelectorAll(".app-group").forEach((g) => {
        if (q !== "") { g.open = g.querySelector("label:not([hidden])") !== null; }
      });
    });
  });
})();
