// Keting console: the few behaviours every page shares. Changes go through the JSON API
// (/api/v1) with the session's CSRF token; server messages are shown as they come.
"use strict";

const Keting = (() => {
  const text = JSON.parse(document.getElementById("keting-text").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const zone = document.body.dataset.timezone;

  function t(id, params = {}) {
    return (text[id] || id).replace(/\{(\w+)\}/g, (_, name) => (name in params ? params[name] : `{${name}}`));
  }

  // A message stays until the next one replaces it: nobody has to read it in a hurry.
  function say(message, kind = "ok") {
    const flash = document.getElementById("flash");
    flash.textContent = message;
    flash.className = `flash ${kind}`;
    flash.setAttribute("role", kind === "error" ? "alert" : "status");
    flash.hidden = false;
    flash.scrollIntoView({ block: "nearest" });
  }

  async function api(method, url, body, extraHeaders = {}) {
    const headers = { "X-CSRFToken": csrf, Accept: "application/json", ...extraHeaders };
    let payload = body;
    if (body !== undefined && !(body instanceof Blob) && !(body instanceof ArrayBuffer)) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
    } catch (error) {
      throw new Error(t("network_error"));
    }
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    if (!response.ok) {
      if (response.status === 401) { window.location.href = `/console/login?next=${encodeURIComponent(location.pathname)}`; }
      throw new Error((data && data.error && data.error.message) || t("http_error", { status: response.status }));
    }
    return data;
  }

  // The UTC offset (minutes) of `zone` at instant `ms`.
  function offsetAt(ms) {
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
    const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
    return (asUtc - ms) / 60000;
  }

  // "2026-11-24T19:30" read as a wall-clock time in the server's zone (not the browser's) → ISO UTC.
  function localToIso(value) {
    const [day, clock] = value.split("T");
    const [y, m, d] = day.split("-").map(Number);
    const [h, min] = clock.split(":").map(Number);
    const wall = Date.UTC(y, m - 1, d, h, min);
    let offset = offsetAt(wall);
    offset = offsetAt(wall - offset * 60000);
    return new Date(wall - offset * 60000).toISOString().replace(".000Z", "Z");
  }

  function fieldValue(field) {
    const type = field.dataset.type || "";
    if (field.type === "checkbox" && type !== "list") return field.checked;
    if (field.multiple) {
      const values = [...field.selectedOptions].map((o) => o.value);
      return type === "int-list" ? values.map(Number) : values;
    }
    const raw = field.value;
    if (type === "int") return raw === "" ? null : Number(raw);
    if (type === "time") return raw === "" ? null : localToIso(raw);
    if (field.type === "date") return raw === "" ? null : raw;
    return raw;
  }

  // The form as a JSON object; fields in hidden sections are left out, and so are fields still at their
  // data-initial value (an edit sends what changed: a start shown to the minute must not move a programme).
  function formBody(form) {
    const body = {};
    for (const field of form.elements) {
      if (!field.name || field.type === "file" || field.closest("[hidden]") || field.dataset.skip !== undefined) continue;
      if (field.dataset.initial !== undefined && field.value === field.dataset.initial) continue;
      if (field.dataset.type === "list" && field.type === "checkbox") {
        body[field.name] = body[field.name] || [];
        if (field.checked) body[field.name].push(field.value);
        continue;
      }
      body[field.name] = fieldValue(field);
    }
    return form.ketingTransform ? form.ketingTransform(body) : body;
  }

  async function submitForm(form) {
    const button = form.querySelector('[type="submit"]');
    if (button) button.disabled = true;
    try {
      const data = await api(form.dataset.method || "POST", form.dataset.api, formBody(form));
      if (form.dataset.redirect) {
        window.location.href = form.dataset.redirect.replace("{id}", data.id);
      } else if (form.dataset.reload) {
        window.location.reload();
      } else {
        say(form.dataset.done || t("saved"));
      }
    } catch (error) {
      say(error.message, "error");
    } finally {
      if (button) button.disabled = false;
    }
  }

  function wireForms() {
    for (const form of document.querySelectorAll("form[data-api]")) {
      form.addEventListener("submit", (event) => { event.preventDefault(); submitForm(form); });
    }
    for (const button of document.querySelectorAll("button[data-api]")) {
      button.addEventListener("click", async () => {
        if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
        button.disabled = true;
        try {
          await api(button.dataset.method || "POST", button.dataset.api,
            button.dataset.body ? JSON.parse(button.dataset.body) : undefined);
          window.location.reload();
        } catch (error) {
          say(error.message, "error");
          button.disabled = false;
        }
      });
    }
  }

  // Positions come as data attributes: the page's CSP forbids inline styles.
  function placeBlocks() {
    for (const el of document.querySelectorAll("[data-top]")) {
      el.style.top = `${el.dataset.top}%`;
      if (el.dataset.height) el.style.height = `${el.dataset.height}%`;
    }
  }

  function minutesText(seconds) {
    if (seconds === null || seconds === undefined) return "";
    if (seconds < 60) return t("seconds_left", { n: Math.max(1, Math.round(seconds)) });
    return t("minutes_left", { n: Math.round(seconds / 60) });
  }

  // Follows a transcode job until it ends; calls back with each state.
  function followJob(jobId, onUpdate) {
    let stopped = false;
    async function poll() {
      if (stopped) return;
      try {
        const job = await api("GET", `/api/v1/jobs/${jobId}`);
        onUpdate(job);
        if (job.state === "queued" || job.state === "running") setTimeout(poll, 1000);
      } catch (error) {
        say(error.message, "error");
        setTimeout(poll, 5000);
      }
    }
    poll();
    return () => { stopped = true; };
  }

  function jobText(job) {
    if (job.state === "running") return `${t("job_running")} ${Math.round(job.progress)}% ${minutesText(job.eta_s)}`;
    if (job.state === "failed") return `${t("job_failed")}：${job.error || ""}`;
    return t(`job_${job.state}`);
  }

  function wireJobs() {
    for (const el of document.querySelectorAll("[data-job]")) {
      const bar = el.querySelector("progress");
      const label = el.querySelector(".job-text");
      followJob(el.dataset.job, (job) => {
        bar.value = job.progress;
        label.textContent = jobText(job);
        if (job.state === "done") window.location.reload();
      });
    }
  }

  function wirePrint() {
    // A print link opens the print dialog at once; without scripts it still leads to the print layout.
    for (const el of document.querySelectorAll("[data-print]")) {
      el.addEventListener("click", (event) => {
        event.preventDefault();
        window.print();
      });
    }
  }

  // tus uploads (the upload page, an article's recording): the server's own words for a refusal, and which
  // failures are worth another try (no answer, a server error, a conflict over the offset, a lock).
  function uploadError(error) {
    const response = error.originalResponse;
    if (response) {
      try {
        const body = JSON.parse(response.getBody());
        if (body.error && body.error.message) return body.error.message;
      } catch (ignored) { /* not JSON */ }
    }
    return t("upload_failed");
  }

  // What tus remembers an unfinished upload by, to resume it after a reload: the file and what it is for
  // (`purpose`: a lecture on a board, or one article's recording), so the same file chosen for something
  // else starts afresh instead of continuing as the first.
  function uploadFingerprint(purpose) {
    return (file) => Promise.resolve(["keting", purpose, file.name, file.size, file.lastModified].join("/"));
  }

  function retryUpload(error) {
    const code = error.originalResponse ? error.originalResponse.getStatus() : 0;
    return code === 0 || code >= 500 || code === 409 || code === 423;
  }

  // An HLS ladder in a <video> (hls.js, or the browser's own HLS where it has one).
  function playHls(video, src) {
    if (window.Hls && Hls.isSupported()) {
      const hls = new Hls();
      hls.on(Hls.Events.ERROR, (_, data) => { if (data.fatal) say(t("preview_failed"), "error"); });
      hls.loadSource(src);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = src;
    } else {
      say(t("preview_unsupported"), "error");
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    wirePrint();
    wireForms();
    placeBlocks();
    wireJobs();
    document.body.dataset.ready = "1";  // the page's forms now go through the API
  });
  return { t, say, api, formBody, localToIso, followJob, jobText, minutesText, csrf, uploadError, retryUpload,
    uploadFingerprint, playHls };
})();
