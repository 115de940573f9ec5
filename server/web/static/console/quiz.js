// Item page, 随堂测验: questions typed in fieldsets (added from a template, removed one by one) are saved as a
// whole with PUT; a spreadsheet replaces them (only when no row is wrong: every row's error is listed otherwise).
"use strict";

(() => {
  const { t, say, api } = Keting;
  const card = document.getElementById("quiz");
  if (!card) return;
  const item = card.dataset.item;
  const list = document.getElementById("quiz-questions");
  const template = document.getElementById("quiz-template");
  const form = document.getElementById("quiz-form");

  function renumber() {
    [...list.querySelectorAll(".quiz-question")].forEach((fieldset, index) => {
      fieldset.querySelector("legend").textContent = String(index + 1);
    });
    const none = document.getElementById("quiz-none");
    if (none) none.hidden = list.querySelector(".quiz-question") !== null;
  }

  document.getElementById("quiz-add").addEventListener("click", () => {
    if (list.querySelectorAll(".quiz-question").length >= Number(card.dataset.max)) return;
    list.append(template.content.cloneNode(true));
    renumber();
  });
  list.addEventListener("click", (event) => {
    if (event.target.classList.contains("quiz-remove")) {
      event.target.closest(".quiz-question").remove();
      renumber();
    }
  });

  // Options are sent up to the last one filled in: a gap (A, B, D) is the server's to refuse, in words.
  function question(fieldset) {
    const correct = Number(fieldset.querySelector('[name="correct"]').value);
    const options = [...fieldset.querySelectorAll('[name="option"]')].map((input) => input.value.trim());
    while (options.length > Math.max(2, correct + 1) && options[options.length - 1] === "") options.pop();
    const body = {
      text: fieldset.querySelector('[name="text"]').value.trim(), options, correct,
      explanation: fieldset.querySelector('[name="explanation"]').value.trim(),
    };
    if (fieldset.dataset.id) body.id = Number(fieldset.dataset.id);
    return body;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const questions = [...list.querySelectorAll(".quiz-question")].map(question);
    try {
      await api("PUT", `/api/v1/editor/items/${item}/quiz`, { questions });
      say(t("quiz_saved"));
      window.setTimeout(() => window.location.reload(), 800);
    } catch (error) {
      say(error.message, "error");
    }
  });

  const importForm = document.getElementById("quiz-import");
  const errors = document.getElementById("quiz-import-errors");
  importForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = importForm.elements.file.files[0];
    if (!file) return;
    errors.replaceChildren();
    errors.hidden = true;
    const url = `/api/v1/editor/items/${item}/quiz/import?filename=${encodeURIComponent(file.name)}&apply=1`;
    const response = await fetch(url, {
      method: "POST", body: file, credentials: "same-origin",
      headers: { "X-CSRFToken": Keting.csrf, Accept: "application/json", "Content-Type": "application/octet-stream" },
    }).catch(() => null);
    if (!response) { say(t("network_error"), "error"); return; }
    const data = await response.json().catch(() => null);
    if (response.ok && data) {
      say(t("quiz_imported", { count: data.questions.length }));
      window.setTimeout(() => window.location.reload(), 800);
      return;
    }
    say(`${t("quiz_import_failed")}${(data && data.error && data.error.message) || response.status}`, "error");
    for (const row of (data && data.errors) || []) {
      const line = document.createElement("li");
      line.textContent = row.message;
      errors.append(line);
    }
    errors.hidden = errors.children.length === 0;
  });
})();
