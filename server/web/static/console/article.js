// Article page: Markdown with a live preview rendered by the server exactly as the box gets it
// (sanitised HTML, large print in a 16:9 frame), and pictures uploaded into the text.
"use strict";

(() => {
  const { say, api } = Keting;
  const source = document.getElementById("markdown");
  const preview = document.getElementById("tv-preview");
  let timer = null;
  let asked = 0;

  async function render() {
    const ticket = ++asked;
    try {
      const answer = await api("POST", "/api/v1/editor/articles/preview", { body_markdown: source.value });
      // The HTML comes sanitised by the server (nh3); a newer answer wins.
      if (ticket === asked) preview.innerHTML = answer.html;
    } catch (error) {
      say(error.message, "error");
    }
  }

  source.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(render, 300); });
  render();

  document.getElementById("image-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    try {
      const answer = await api("POST", "/api/v1/editor/images", file, { "Content-Type": file.type || "application/octet-stream" });
      const at = source.selectionStart || source.value.length;
      source.value = `${source.value.slice(0, at)}\n${answer.markdown}\n${source.value.slice(at)}`;
      render();
    } catch (error) {
      say(error.message, "error");
    }
    event.target.value = "";
  });
})();
