// facegraph's review app: a few conveniences on top of plain forms (everything works without it).
(function () {
  "use strict";
  const page = document.body.dataset.page;

  // person page: how many faces are selected
  const form = document.getElementById("faces-form");
  if (form) {
    const count = document.getElementById("selected-count");
    form.addEventListener("change", () => {
      count.textContent = `${form.querySelectorAll("input[name=face]:checked").length} selected`;
    });
  }

  // person page: the names for "move to", fetched when the box is first used
  const names = document.getElementById("people-names");
  const target = document.querySelector("input[name=to]");
  if (names && target) {
    target.addEventListener("focus", async () => {
      if (names.childElementCount) return;
      for (const person of await (await fetch("/people/names")).json()) {
        const option = document.createElement("option");
        option.value = person.name;
        option.textContent = `Person ${person.id}`;
        names.appendChild(option);
      }
    }, { once: true });
  }

  // library page: follow an ingest while it runs, then show the new counts
  const progress = document.getElementById("ingest-progress");
  if (progress && progress.dataset.running === "yes") {
    const timer = setInterval(async () => {
      const state = await (await fetch("/jobs/ingest")).json();
      if (state.running) {
        progress.textContent = `Adding photos: ${state.done} of ${state.total || "?"}…`;
      } else {
        clearInterval(timer);
        window.location.replace("/?said=" + encodeURIComponent(state.summary || "done"));
      }
    }, 1000);
  }

  // everywhere: "u" undoes the last edit (not while typing)
  const typing = (event) => /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName);
  document.addEventListener("keydown", (event) => {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "u") document.getElementById("undo").click();
  });

  // review: one keypress per suggestion, the current one outlined
  if (page === "review") {
    const pending = () => [...document.querySelectorAll(".suggestion:not(.skipped)")];
    const mark = () => {
      document.querySelectorAll(".suggestion.current").forEach((s) => s.classList.remove("current"));
      const first = pending()[0];
      if (first) first.classList.add("current");
    };
    mark();
    document.addEventListener("keydown", (event) => {
      if (typing(event)) return;
      const current = pending()[0];
      if (!current) return;
      if (event.key === "y" || event.key === "n") {
        current.querySelector(`button[data-key=${event.key}]`).click();
      } else if (event.key === "s") {
        current.classList.add("skipped");
        mark();
      }
    });
  }
})();
