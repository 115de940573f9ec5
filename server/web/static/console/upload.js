// Upload page: tus-js-client sends the file in resumable pieces; the bar shows bytes, speed and
// time left; a dropped connection is retried, and after a reload choosing the same file resumes.
"use strict";

(() => {
  const { t, say, csrf, followJob, jobText, uploadError, retryUpload, uploadFingerprint } = Keting;
  const form = document.getElementById("upload-form");
  const input = document.getElementById("file");
  const drop = document.getElementById("drop");
  const status = document.getElementById("upload-status");
  const bar = document.getElementById("upload-bar");
  const percent = document.getElementById("upload-percent");
  const speedText = document.getElementById("upload-speed");
  const leftText = document.getElementById("upload-left");
  const pause = document.getElementById("pause-upload");
  let file = null;
  let upload = null;
  let paused = false;

  function choose(chosen) {
    file = chosen;
    document.getElementById("file-name").textContent = chosen ? `${chosen.name}（${(chosen.size / 1048576).toFixed(1)} MB）` : "";
    if (chosen && !form.elements.title.value) form.elements.title.value = chosen.name.replace(/\.[^.]+$/, "");
  }

  input.addEventListener("change", () => choose(input.files[0] || null));
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    if (event.dataTransfer.files.length) choose(event.dataTransfer.files[0]);
  });

  // Speed over the last few seconds, so one slow moment does not swing the estimate.
  const samples = [];
  function measure(sent, total) {
    const now = performance.now();
    samples.push([now, sent]);
    while (samples.length > 2 && now - samples[0][0] > 5000) samples.shift();
    const [t0, s0] = samples[0];
    const rate = now > t0 ? ((sent - s0) * 1000) / (now - t0) : 0;
    bar.value = total ? (sent * 100) / total : 0;
    percent.textContent = `${Math.floor(bar.value)}%`;
    if (rate > 0) {
      speedText.textContent = t("upload_speed", { mbps: (rate / 1048576).toFixed(1) });
      leftText.textContent = Keting.minutesText((total - sent) / rate);
    }
  }

  function transcode(jobId, itemId) {
    const box = document.getElementById("transcode");
    const tbar = document.getElementById("transcode-bar");
    const label = document.getElementById("transcode-text");
    const link = document.getElementById("item-link");
    link.href = `/console/items/${itemId}`;
    link.hidden = false;
    box.hidden = false;
    followJob(jobId, (job) => {
      tbar.value = job.progress;
      label.textContent = jobText(job);
      if (job.state === "done") {
        tbar.value = 100;
        say(t("ready_to_publish"));
      } else if (job.state === "failed") {
        say(jobText(job), "error");
      }
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!file) { say(t("choose_file_first"), "error"); return; }
    let itemId = null;
    let jobId = null;
    upload = new tus.Upload(file, {
      endpoint: "/api/v1/uploads",
      headers: { "X-CSRFToken": csrf },
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000],
      removeFingerprintOnSuccess: true,
      metadata: {
        filename: file.name, board: form.elements.board.value, title: form.elements.title.value,
        speaker: form.elements.speaker.value, description: form.elements.description.value,
      },
      onProgress: measure,
      onAfterResponse: (request, response) => {
        if (response.getHeader("Keting-Job-Id")) {
          jobId = response.getHeader("Keting-Job-Id");
          itemId = response.getHeader("Keting-Item-Id");
        }
      },
      onShouldRetry: retryUpload,
      fingerprint: uploadFingerprint(`lecture/${form.elements.board.value}`),
      onError: (error) => {
        document.getElementById("upload-heading").textContent = t("upload_stopped");
        say(uploadError(error), "error");
        form.querySelector('[type="submit"]').disabled = false;
      },
      onSuccess: () => {
        bar.value = 100;
        percent.textContent = "100%";
        leftText.textContent = "";
        document.getElementById("upload-heading").textContent = t("upload_done");
        pause.hidden = true;
        say(t("upload_done"));
        if (jobId) transcode(jobId, itemId);
      },
    });
    form.querySelector('[type="submit"]').disabled = true;
    status.hidden = false;
    const previous = await upload.findPreviousUploads();
    if (previous.length) {
      upload.resumeFromPreviousUpload(previous[0]);
      say(t("upload_resuming"));
    }
    upload.start();
  });

  pause.addEventListener("click", () => {
    if (!upload) return;
    paused = !paused;
    if (paused) { upload.abort(); pause.textContent = t("resume"); } else { upload.start(); pause.textContent = t("pause"); }
  });
})();
