// Settings › Filters: "Add keyword" adds a blank keyword row in place and focuses it.
// Without scripts the button sends the form back and the page comes again with one more
// row (nothing is saved), so this only saves the round trip.

function nextIndex(rows) {
  let highest = -1;
  for (const field of rows.querySelectorAll("[name^='keywords[']")) {
    const found = /^keywords\[(\d+)\]/.exec(field.name);
    if (found) highest = Math.max(highest, Number(found[1]));
  }
  return highest + 1;
}

function addRow(rows, blank) {
  const index = nextIndex(rows);
  const position = rows.children.length + 1;
  const row = blank.cloneNode(true);
  for (const field of row.querySelectorAll("[name]")) {
    field.name = field.name.replace(/^keywords\[\d+\]/, `keywords[${index}]`);
  }
  const input = row.querySelector(".keyword-input");
  input.id = `keyword-${index}`;
  input.value = "";
  row.querySelector("[data-keyword-label]").htmlFor = input.id;
  row.querySelector("[data-keyword-label]").textContent = `Keyword ${position}`;
  row.querySelector("[data-keyword-number]").textContent = ` for keyword ${position}`;
  row.querySelector("input[type=checkbox]").checked = true;
  rows.append(row);
  input.focus();
}

export function enhanceFilterForm(root) {
  for (const button of root.querySelectorAll("[data-add-keyword]:not([data-add-ready])")) {
    button.dataset.addReady = "";
    const rows = button.closest("fieldset")?.querySelector("[data-keyword-rows]");
    if (!rows) continue;
    button.addEventListener("click", (event) => {
      const blank = rows.querySelector("[data-keyword-new]");
      if (!blank) return; // no row to copy: the form asks the server for one
      event.preventDefault();
      addRow(rows, blank);
    });
  }
}
