// excomm classroom: the live page. Every fragment it inserts was rendered and escaped by
// the server; user text is only ever set here through textContent.
(function () {
  "use strict";
  const teacher = document.body.classList.contains("teacher");
  const lesson = document.querySelector(".lesson");
  let source = null;
  let view = "happened";
  let paused = true;
  const lastDay = {};
  const lastChart = {};

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(data),
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) { throw new Error(body.error || response.statusText); }
        return body;
      });
    });
  }

  // The teacher's run page takes the class here: by a POST with the key, never by a GET.
  if (teacher && lesson) {
    post("/api/lesson", { path: window.location.pathname }).catch(function () {});
  }

  function follow(url) {
    if (source) { source.close(); }
    source = new EventSource(url);
    source.addEventListener("goto", function (message) {
      if (teacher) { return; }
      const path = JSON.parse(message.data).path;
      if (path !== window.location.pathname) { window.location.assign(path); }
    });
    source.addEventListener("event", function (message) {
      const data = JSON.parse(message.data);
      const list = document.querySelector('ol[data-events="' + CSS.escape(data.run) + '"]');
      if (!list || list.querySelector('li[data-seq="' + data.seq + '"]')) { return; }
      if (lastDay[data.run] !== data.day) {
        lastDay[data.run] = data.day;
        const heading = document.createElement("li");
        heading.className = "day";
        heading.textContent = data.day;
        list.appendChild(heading);
      }
      const nearBottom = list.scrollHeight > list.clientHeight + 4
        ? list.scrollTop + list.clientHeight >= list.scrollHeight - 200
        : window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
      list.insertAdjacentHTML("beforeend", data.html);
      const added = list.querySelector('li[data-seq="' + data.seq + '"]');
      if (added) {
        added.classList.add("fresh");
        if (nearBottom) { added.scrollIntoView({ block: "nearest" }); }
      }
    });
    source.addEventListener("state", function (message) {
      const data = JSON.parse(message.data);
      const panel = document.querySelector('[data-state="' + CSS.escape(data.run) + '"]');
      if (panel) { panel.innerHTML = data.html; }
      const runs = lesson ? lesson.dataset.runs.split(",") : [];
      if (data.run === runs[0]) {
        document.getElementById("clock").textContent = data.clock;
        paused = data.paused;
        let status = data.status === "running" ? (data.paused ? "paused" : "running") : data.status;
        if (data.problem) { status += " (" + data.problem + ")"; }
        document.getElementById("status").textContent = status + (data.day ? " · showing " + data.day : "");
        // A run that has ended (cancelled, completed, failed) takes no more controls.
        document.querySelectorAll(".controls button").forEach(function (button) {
          button.disabled = data.status !== "running";
        });
      }
      const chart = document.querySelector('img[data-chart="' + CSS.escape(data.run) + '"]');
      const version = view + "|" + data.last_seq + "|" + data.clock;
      if (chart && lastChart[data.run] !== version) {
        lastChart[data.run] = version;
        chart.src = "/runs/" + encodeURIComponent(data.run) + "/chart.svg?view=" + view + "&v=" + encodeURIComponent(version);
      }
    });
  }

  function connect() {
    const runs = lesson.dataset.runs;
    document.querySelectorAll("ol[data-events]").forEach(function (list) { list.textContent = ""; });
    Object.keys(lastDay).forEach(function (key) { delete lastDay[key]; });
    follow("/stream?runs=" + encodeURIComponent(runs) + "&view=" + view + "&path=" + encodeURIComponent(lesson.dataset.path));
  }

  function control(action) {
    const said = document.getElementById("said");
    const runs = lesson.dataset.runs.split(",");
    Promise.all(runs.map(function (run) {
      return post("/api/runs/" + encodeURIComponent(run) + "/control", { action: action });
    })).then(function (answers) {
      // Both runs of a pair say the same: say it once ("Stepping a day.", not twice).
      said.textContent = answers.map(function (a) { return a.said; })
        .filter(function (text, index, all) { return all.indexOf(text) === index; }).join(" ");
    }).catch(function (error) { said.textContent = error.message; });
  }

  const waiting = document.querySelector("[data-stream]");
  if (waiting) { follow(waiting.dataset.stream); }

  if (lesson) {
    connect();
    document.querySelectorAll("button.view").forEach(function (button) {
      button.addEventListener("click", function () {
        view = button.dataset.view;
        document.querySelectorAll("button.view").forEach(function (b) { b.classList.toggle("on", b === button); });
        connect();
      });
    });
    document.querySelectorAll(".controls button[data-action]").forEach(function (button) {
      button.addEventListener("click", function () {
        button.blur();  // the space bar steps a day; it must not click this button again
        if (button.dataset.action !== "cancel" || window.confirm("Cancel this run? What it recorded stays.")) {
          control(button.dataset.action);
        }
      });
    });
    if (teacher) {
      document.addEventListener("keydown", function (event) {
        // Keys work wherever the focus is, a button just clicked included, but not while typing.
        const typing = event.target.closest("input, select, textarea, dialog");
        if (typing || event.ctrlKey || event.metaKey || event.altKey || event.repeat) { return; }
        if (event.key === " ") { event.preventDefault(); control("step_day"); }
        if (event.key === "p") { event.preventDefault(); control(paused ? "resume" : "pause"); }
      });
    }
    const fork = document.getElementById("fork-form");
    if (fork) {
      fork.addEventListener("submit", function (event) {
        event.preventDefault();
        const error = document.getElementById("fork-error");
        let fields;
        try { fields = JSON.parse(fork.elements.fields.value || "{}"); } catch (e) { error.textContent = "fields: not JSON (" + e.message + ")"; return; }
        if (fork.elements.summary.value) { fields.summary = fork.elements.summary.value; }
        error.textContent = "";
        post("/api/runs/" + encodeURIComponent(fork.dataset.run) + "/fork", { kind: fork.elements.kind.value, fields: fields })
          .then(function (answer) { window.location.assign(answer.url); })
          .catch(function (e) { error.textContent = e.message; });
      });
    }
  }

  const start = document.getElementById("start-form");
  if (start) {
    start.addEventListener("submit", function (event) {
      event.preventDefault();
      const error = document.getElementById("start-error");
      error.textContent = "";
      post("/api/start", { timeline: start.elements.timeline.value, pace: start.elements.pace.value })
        .then(function (answer) { window.location.assign(answer.url); })
        .catch(function (e) { error.textContent = e.message; });
    });
  }

  document.addEventListener("click", function (event) {
    const link = event.target.closest("a.source");
    if (!link) { return; }
    event.preventDefault();
    const viewer = document.getElementById("source-viewer");
    fetch("/source?fragment=1&c=" + encodeURIComponent(link.dataset.citation))
      .then(function (response) { return response.text(); })
      .then(function (html) {
        viewer.querySelector(".source-body").innerHTML = html;
        viewer.showModal();
      });
  });
})();
