// Schedule page: show the fields for what is being added, check conflicts with a dry run as
// the form changes, and turn the start time into a rule's time of day for repeats.
"use strict";

(() => {
  const { t, api, formBody } = Keting;
  const form = document.getElementById("schedule-form");
  const report = document.getElementById("dry-run");

  function toggle() {
    const source = form.elements.source.value;
    const repeat = form.elements.repeat.value;
    for (const el of form.querySelectorAll("[data-when-source]")) el.hidden = el.dataset.whenSource !== source;
    for (const el of form.querySelectorAll("[data-when-repeat]")) {
      el.hidden = source !== "item" || !el.dataset.whenRepeat.split(" ").includes(repeat);
    }
  }

  form.elements.source.dataset.skip = "";
  form.ketingTransform = (body) => {
    if (body.repeat) {
      const local = form.elements.start.value;  // wall-clock time in the server's zone
      body.time = local.slice(11, 16);
      body.first_date = local.slice(0, 10);
      delete body.start;
    } else {
      delete body.repeat;
      delete body.days;
      delete body.last_date;
    }
    return body;
  };

  function describe(entries) {
    return entries.map((e) => `${e.start_label} ${e.title}`).join("、");
  }

  let timer = null;
  async function dryRun() {
    if (!form.elements.start.value) return;
    try {
      const outcome = await api("POST", "/api/v1/admin/schedule?dry_run=1", formBody(form));
      const lines = [t("dry_run_ok")];
      if (outcome.preempted.length) lines.push(t("dry_run_preempts", { list: describe(outcome.preempted) }));
      if (outcome.cut.length) lines.push(t("dry_run_cuts", { list: describe(outcome.cut) }));
      report.className = outcome.preempted.length || outcome.cut.length ? "dry-run warn" : "dry-run ok";
      report.textContent = lines.join(" ");
    } catch (error) {
      report.className = "dry-run error";
      report.textContent = error.message;
    }
  }

  form.addEventListener("change", () => { toggle(); clearTimeout(timer); timer = setTimeout(dryRun, 250); });
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(dryRun, 400); });
  toggle();
  dryRun();
})();
