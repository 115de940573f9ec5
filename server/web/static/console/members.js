// Members page: send a roster file for a preview (what an import would add or change, and every row
// that is wrong), then import it with a second request; the result is shown after the page reloads.
"use strict";

(() => {
  const { t, say, api } = Keting;
  const input = document.getElementById("roster-file");
  const previewButton = document.getElementById("roster-preview");
  const applyButton = document.getElementById("roster-apply");
  const status = document.getElementById("roster-status");
  const result = document.getElementById("roster-result");
  const maxBytes = Number(input.dataset.maxBytes);
  const FLASH_KEY = "keting-members-flash";
  const FIELDS = {
    name: t("field_name"), branch_id: t("field_branch"), phone: t("field_phone"),
    member_no: t("field_member_no"), active: t("field_active"),
  };

  function show(message, kind) {
    status.textContent = message;
    status.className = `roster-status ${kind}`;
    status.setAttribute("role", kind === "error" ? "alert" : "status");
    status.hidden = false;
  }

  function list(title, lines, more, className) {
    const section = document.createElement("div");
    const heading = document.createElement("h3");
    heading.textContent = title;
    const items = document.createElement("ul");
    items.className = className;
    for (const line of lines) {
      const item = document.createElement("li");
      item.textContent = line;
      items.append(item);
    }
    if (more > 0) {
      const item = document.createElement("li");
      item.textContent = t("roster_more", { count: more });
      items.append(item);
    }
    section.append(heading, items);
    return section;
  }

  // Row errors already say which row; a message that does not gets the row put in front.
  function errorLine(error) {
    const label = t("row_label", { line: error.line });
    return error.message.startsWith(label) ? error.message : `${label} ${error.message}`;
  }

  function render(outcome) {
    result.replaceChildren();
    const counts = document.createElement("p");
    counts.className = "roster-counts";
    counts.textContent = t("roster_counts", { new: outcome.new, changed: outcome.changed, unchanged: outcome.unchanged });
    result.append(counts);
    if (outcome.errors.length) {
      result.append(list(t("roster_errors", { count: outcome.errors.length }), outcome.errors.map(errorLine), 0,
        "roster-errors"));
    }
    if (outcome.new_rows.length) {
      result.append(list(t("roster_new_rows"), outcome.new_rows.map((r) => t("roster_new_row", r)),
        outcome.new - outcome.new_rows.length, "roster-new"));
    }
    if (outcome.changed_rows.length) {
      const lines = outcome.changed_rows.map((r) => t("roster_changed_row", {
        line: r.line, name: r.name, fields: r.fields.map((f) => FIELDS[f] || f).join(t("list_separator")),
      }));
      result.append(list(t("roster_changed_rows"), lines, outcome.changed - outcome.changed_rows.length,
        "roster-changed"));
    }
    const something = outcome.new + outcome.changed > 0;
    if (!something) {
      const nothing = document.createElement("p");
      nothing.textContent = t("roster_nothing");
      result.append(nothing);
    }
    applyButton.hidden = !something;
  }

  async function send(apply) {
    const file = input.files[0];
    if (!file) {
      show(t("roster_choose_file"), "error");
      return null;
    }
    if (file.size > maxBytes) {
      show(t("roster_too_big", { mib: Math.floor(maxBytes / 1048576) }), "error");
      return null;
    }
    previewButton.disabled = true;
    applyButton.disabled = true;
    show(t("roster_uploading"), "busy");
    try {
      const url = `/api/v1/admin/members/import?filename=${encodeURIComponent(file.name)}${apply ? "&apply=1" : ""}`;
      const outcome = await api("POST", url, file, { "Content-Type": "application/octet-stream" });
      status.hidden = true;
      return outcome;
    } catch (error) {
      // A whole file refused (422) comes with the server's words on what to do.
      show(error.message, "error");
      return null;
    } finally {
      previewButton.disabled = false;
      applyButton.disabled = false;
    }
  }

  input.addEventListener("change", () => {
    result.replaceChildren();
    applyButton.hidden = true;
    status.hidden = true;
  });

  previewButton.addEventListener("click", async () => {
    applyButton.hidden = true;
    result.replaceChildren();
    const outcome = await send(false);
    if (outcome) render(outcome);
  });

  applyButton.addEventListener("click", async () => {
    const outcome = await send(true);
    if (!outcome) return;
    sessionStorage.setItem(FLASH_KEY, t("roster_done", { created: outcome.created, updated: outcome.updated }));
    window.location.reload();
  });

  const done = sessionStorage.getItem(FLASH_KEY);
  if (done) {
    sessionStorage.removeItem(FLASH_KEY);
    say(done);
  }
})();
