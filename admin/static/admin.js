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
      items.forEach((el) => { el.hidden = q !== "" && !el.textContent.toLocaleLowerCase().includes(q); });
      document.querySelectorAll(".app-group").forEach((g) => {
        if (q !== "") { g.open = g.querySelector("label:not([hidden])") !== null; }
      });
    });
  });
})();
