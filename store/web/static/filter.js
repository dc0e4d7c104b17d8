// The run page's field filter, as you type: hides the config rows whose path does not
// contain the text. Without script the same box filters on the server (?field=TEXT).
"use strict";

function filterRows(input) {
  const table = document.getElementById(input.dataset.filters);
  const rows = table.tBodies[0].rows;
  const text = input.value.trim().toLowerCase();
  let shown = 0;
  for (const row of rows) {
    const keep = row.dataset.path.toLowerCase().includes(text);
    row.hidden = !keep;
    shown += keep ? 1 : 0;
  }
  const count = document.getElementById("shown");
  if (count) {
    count.textContent = count.textContent.replace(/^\d+/, String(shown));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll("input[data-filters]")) {
    input.addEventListener("input", () => filterRows(input));
  }
});
