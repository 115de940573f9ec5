// Article page: an editor's recorded reading (朗读录音). The file goes up over tus like a lecture (resumable,
// with a bar), its metadata naming the article; then the transcode's progress; the page reloads when the
// recording is ready. A recording already there plays here through hls.js.
"use strict";

(() => {
  const { t, say, csrf, followJob, jobText, uploadError, retryUpload, uploadFingerprint, playHls } = Keting;
  const form = document.getElementById("recording-form");
  const input = document.getElementById("recording-file");
  const status = document.getElementById("recording-status");
  const bar = document.getElementById("recording-bar");
  const label = document.getElementById("recording-text");
  const player = document.getElementById("reading");
  let file = null;

  if (player && player.dataset.src) playHls(player, player.dataset.src);

  input.addEventListener("change", () => {
    file = input.files[0] || null;
    document.getElementById("recording-name").textContent =
      file ? `${file.name}（${(file.size / 1048576).toFixed(1)} MB）` : "";
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!file) { say(t("choose_file_first"), "error"); return; }
    const button = document.getElementById("recording-upload");
    let jobId = null;
    const upload = new tus.Upload(file, {
      endpoint: "/api/v1/uploads",
      headers: { "X-CSRFToken": csrf },
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000],
      removeFingerprintOnSuccess: true,
      metadata: { filename: file.name, reading_for: form.dataset.item },
      onProgress: (sent, total) => {
        bar.value = total ? (sent * 100) / total : 0;
        label.textContent = t("recording_sending", { percent: Math.floor(bar.value) });
      },
      onAfterResponse: (request, response) => {
        if (response.getHeader("Keting-Job-Id")) jobId = response.getHeader("Keting-Job-Id");
      },
      onShouldRetry: retryUpload,
      fingerprint: uploadFingerprint(`reading/${form.dataset.item}`),
      onError: (error) => {
        say(uploadError(error), "error");
        button.disabled = false;
      },
      onSuccess: () => {
        bar.value = 0;
        label.textContent = t("recording_transcoding");
        if (!jobId) return;
        followJob(jobId, (job) => {
          bar.value = job.progress;
          label.textContent = jobText(job);
          if (job.state === "done") {
            say(t("recording_ready"));
            window.location.reload();
          } else if (job.state === "failed" || job.state === "cancelled") {
            say(jobText(job), "error");
            button.disabled = false;
          }
        });
      },
    });
    button.disabled = true;
    status.hidden = false;
    const previous = await upload.findPreviousUploads();
    if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
    upload.start();
  });
})();
