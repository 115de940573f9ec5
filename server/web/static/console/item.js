// Item page: preview playback with hls.js (served by Keting), subtitles upload.
"use strict";

(() => {
  const { t, say, api, playHls } = Keting;
  const video = document.getElementById("preview");
  if (video) playHls(video, video.dataset.src);
  const useFrame = document.getElementById("use-frame");
  if (useFrame && video) {
    useFrame.addEventListener("click", async () => {
      try {
        const item = await api("POST", `/api/v1/editor/items/${useFrame.dataset.item}/thumbnail`,
          { at_s: video.currentTime });
        const thumb = document.getElementById("current-thumb");
        if (thumb) thumb.src = item.thumbnail_url;
        say(t("thumbnail_done"));
      } catch (error) {
        say(error.message, "error");
      }
    });
  }
  const subtitles = document.getElementById("subtitle-form");
  if (subtitles) {
    subtitles.addEventListener("submit", async (event) => {
      event.preventDefault();
      const file = subtitles.elements.file.files[0];
      const lang = subtitles.elements.lang.value;
      try {
        await api("PUT", `/api/v1/items/${subtitles.dataset.item}/subtitles/${encodeURIComponent(lang)}`,
          file, { "Content-Type": "text/plain" });
        window.location.reload();
      } catch (error) {
        say(error.message, "error");
      }
    });
  }
})();
