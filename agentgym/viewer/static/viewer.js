// Conveniences only: every page works without JavaScript.
(function () {
  // Changing a filter applies it at once.
  for (const form of document.querySelectorAll("form.filters")) {
    for (const sel of form.querySelectorAll("select")) {
      sel.addEventListener("change", () => form.submit());
    }
  }
  // A click anywhere on an episode row opens it.
  for (const row of document.querySelectorAll("tr.episode[data-href]")) {
    row.addEventListener("click", (ev) => {
      if (ev.target.closest("a")) return;
      window.location = row.dataset.href;
    });
  }
})();
