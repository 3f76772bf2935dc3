// The Print button of the printable pages (clinic/templates/print_base.html). A file rather
// than an onclick attribute, so that the pages' Content-Security-Policy allows no inline script.
"use strict";
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
