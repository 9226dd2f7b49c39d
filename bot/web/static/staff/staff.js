// Staff console: small conveniences only; every page works without JavaScript.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Whole table rows open their record (links inside a row keep their own target).
  document.querySelectorAll("tr[data-href]").forEach((row) => {
    row.addEventListener("click", (event) => {
      if (event.target.closest("a, button, input, select, textarea")) return;
      if (window.getSelection().toString()) return; // selecting text is not a click
      window.location.href = row.dataset.href;
    });
  });

  // Filter selects apply at once; text fields still wait for Enter or the button.
  document.querySelectorAll("form.filters select").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
  });

  // NLU details in the transcript: shown or hidden, remembered in this browser.
  const toggle = document.getElementById("toggle-details");
  const transcript = document.getElementById("transcript");
  if (toggle && transcript) {
    const key = "staff.hideDetails";
    const apply = () => transcript.classList.toggle("hide-details", !toggle.checked);
    toggle.checked = window.localStorage.getItem(key) !== "1";
    apply();
    toggle.addEventListener("change", () => {
      window.localStorage.setItem(key, toggle.checked ? "0" : "1");
      apply();
    });
  }
});
