// Box page: pick a box (from its row or the list), select its household's members, and save them with
// PUT /api/v1/admin/devices/<id>/household (console.js sends the form; this only aims it at the box).
"use strict";

(() => {
  const { t, say } = Keting;
  const form = document.getElementById("household-form");
  if (!form) return;
  const device = document.getElementById("household-device");
  const choices = document.getElementById("household-members");
  const filter = document.getElementById("household-filter");
  const save = document.getElementById("household-save");

  function choose(id) {
    device.value = id;
    const row = id ? document.querySelector(`tr[data-device="${id}"]`) : null;
    const current = row && row.dataset.members ? row.dataset.members.split(",") : [];
    for (const option of choices.options) option.selected = current.includes(option.value);
    form.dataset.api = id ? `/api/v1/admin/devices/${id}/household` : "";
    save.disabled = !id;
    applyFilter();
  }

  // Typing narrows the list to matching names (or branches); chosen members always stay in sight.
  function applyFilter() {
    const wanted = filter.value.trim();
    for (const group of choices.querySelectorAll("optgroup")) {
      const branchMatches = wanted !== "" && group.label.includes(wanted);
      let shown = 0;
      for (const option of group.querySelectorAll("option")) {
        option.hidden = wanted !== "" && !branchMatches && !option.selected && !option.textContent.includes(wanted);
        if (!option.hidden) shown += 1;
      }
      group.hidden = shown === 0;
    }
  }

  // Runs before console.js's own handler (this script is read first): no box, no request.
  form.addEventListener("submit", (event) => {
    if (!device.value) {
      event.preventDefault();
      event.stopImmediatePropagation();
      say(t("household_choose_box"), "error");
    }
  });
  device.addEventListener("change", () => choose(device.value));
  filter.addEventListener("input", applyFilter);
  for (const button of document.querySelectorAll("button.household-edit")) {
    button.addEventListener("click", () => {
      choose(button.dataset.device);
      form.scrollIntoView({ block: "start" });
      choices.focus();
    });
  }
  choose("");
})();
