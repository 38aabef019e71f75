// facegraph's network page: draws the data written into the page, no server, no network.
// Every text from the library goes in with textContent, never as markup.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("facegraph-data").textContent);
  const GREY = "#9aa0a6";
  const MIN_FACE_PX = 44; // the most connected people open at least this wide on screen
  const MIN_LABEL_PX = 13;
  const byId = new Map(data.people.map((p) => [p.id, p]));
  const photos = data.photos;
  const el = (id) => document.getElementById(id);

  // ------------------------------------------------------------------ state and weights
  const state = { minWeight: 0, from: null, to: null, showIsolated: false };

  function inRange(photoId) {
    if (state.from === null && state.to === null) return true;
    const date = (photos[photoId] || {}).date;
    if (!date) return false; // undated photos cannot be placed in a range
    return (state.from === null || date >= state.from) && (state.to === null || date <= state.to);
  }

  function moments(photoIds) {
    // near-duplicate photos (a burst, a photo posted again) are one moment, counted once;
    // each moment with the people of its fullest photo
    const found = new Map();
    for (const p of photoIds) {
      const moment = data.countDuplicates ? p : ((photos[p] || {}).moment ?? p);
      found.set(moment, Math.max(found.get(moment) || 0, (photos[p] || {}).people || 2));
    }
    return found;
  }

  function tieWeight(tie) {
    // the tie's weight over the photos inside the date range (all of them without a range)
    if (state.from === null && state.to === null) return tie.weight;
    const shared = moments(tie.photos.filter(inRange));
    if (data.weight === "photos") return shared.size;
    if (data.weight === "newman") {
      return [...shared.values()].reduce((sum, people) => sum + 1 / Math.max(people - 1, 1), 0);
    }
    const either = moments(byId.get(tie.a).photo_ids.filter(inRange).concat(byId.get(tie.b).photo_ids.filter(inRange)));
    return either.size ? shared.size / either.size : 0;
  }

  // ------------------------------------------------------------------ nodes and edges
  const topCount = Math.min(50, Math.max(10, Math.ceil(data.counts.tied * 0.1)));
  const ranked = data.people.filter((p) => p.ties > 0).sort((a, b) => b.ties - a.ties || b.photos - a.photos || a.id - b.id);
  const top = new Set(ranked.slice(0, topCount).map((p) => p.id));

  function colourOf(person) {
    if (data.colour_by !== "community") return person.colour || GREY; // gender or age, given
    return person.community === null ? GREY : data.palette[person.community % data.palette.length];
  }

  function baseSize(person) {
    return person.size; // radius in canvas units, as the layout left room for it
  }

  const nodes = new vis.DataSet(
    data.people.map((p) => {
      const colour = colourOf(p);
      const node = {
        id: p.id,
        label: p.label,
        x: p.x,
        y: p.y,
        size: baseSize(p),
        hidden: p.ties === 0,
        borderWidth: 3,
        color: { border: colour, background: colour, highlight: { border: "#111", background: colour } },
        font: { size: 14, strokeWidth: 3, strokeColor: "#ffffff" },
      };
      if (p.face) {
        node.shape = "circularImage";
        node.image = p.face;
      } else {
        node.shape = "dot";
      }
      return node;
    })
  );
  const maxWeight = Math.max(1, ...data.ties.map((t) => t.weight));
  // a very large network opens on its strongest ties (at most DRAWN_TIES; ties come sorted
  // strongest first): the weight slider starts there and goes down to all of them
  const DRAWN_TIES = 15000;
  if (data.ties.length > DRAWN_TIES) {
    const weights = data.ties.map((t) => t.weight); // strongest first
    let cut = weights[DRAWN_TIES - 1];
    if (weights[DRAWN_TIES] === cut) {
      // the ties of exactly that weight would go over the limit: start one weight higher
      const above = weights.slice(0, DRAWN_TIES).filter((w) => w > cut);
      if (above.length) cut = above[above.length - 1];
    }
    state.minWeight = cut;
  }
  const inDataSet = new Uint8Array(data.ties.length);
  function edgeItem(t, i, weight) {
    inDataSet[i] = 1;
    return {
      id: i,
      from: t.a,
      to: t.b,
      width: 1 + 7 * Math.sqrt(weight / maxWeight),
      color: { color: "#8a8f99", opacity: 0.55, highlight: "#d62728" },
      dashes: !t.weight, // the weaker tie of one shot of a video (--same-shot)
    };
  }
  const edges = new vis.DataSet(
    data.ties.map((t, i) => [t, i]).filter(([t]) => t.weight >= state.minWeight)
      .map(([t, i]) => edgeItem(t, i, t.weight))
  );

  const network = new vis.Network(
    el("network"),
    { nodes, edges },
    {
      physics: false,
      layout: { improvedLayout: false },
      interaction: {
        hover: data.ties.length <= 3000,
        tooltipDelay: 150,
        hideEdgesOnDrag: data.ties.length > 3000,
        hideEdgesOnZoom: data.ties.length > 3000,
      },
      edges: { smooth: false, selectionWidth: 2 },
      nodes: { shapeProperties: { interpolation: false } },
    }
  );

  function visiblePeople() {
    return data.people.filter((p) => !nodeHidden.get(p.id)).map((p) => p.id);
  }

  // open on the people with ties, big enough to see their faces and names
  function fitToView() {
    const ids = visiblePeople();
    network.fit({ nodes: ids.length ? ids : data.people.map((p) => p.id), animation: false });
  }

  function enlargeTheMostConnected() {
    const scale = network.getScale();
    const updates = [];
    for (const id of top) {
      const node = nodes.get(id);
      const size = Math.max(baseSize(byId.get(id)), MIN_FACE_PX / 2 / scale);
      const font = Math.max(14, MIN_LABEL_PX / scale);
      updates.push({ id, size, font: Object.assign({}, node.font, { size: font }) });
    }
    nodes.update(updates);
  }

  // ------------------------------------------------------------------ filters
  // what is shown now: only what changes is handed to vis-network (a page may hold 50k ties)
  const edgeHidden = data.ties.map(() => false);
  const edgeWidth = data.ties.map((t) => 1 + 7 * Math.sqrt(t.weight / maxWeight));
  const nodeHidden = new Map(data.people.map((p) => [p.id, p.ties === 0]));

  function applyFilters() {
    const tied = new Set();
    const edgeUpdates = [];
    const edgeAdds = [];
    data.ties.forEach((t, i) => {
      const weight = tieWeight(t);
      // a tie of weight 0 is one of people seen in one shot of a video, never together
      const visible = weight >= state.minWeight && (weight > 0 || (!t.weight && t.sameShot > 0));
      if (visible) {
        tied.add(t.a);
        tied.add(t.b);
      }
      if (!inDataSet[i]) {
        if (visible) {
          edgeAdds.push(edgeItem(t, i, weight));
          edgeHidden[i] = false;
        }
        return;
      }
      const width = 1 + 7 * Math.sqrt(Math.max(weight, 0) / maxWeight);
      if (edgeHidden[i] !== !visible || (visible && edgeWidth[i] !== width)) {
        edgeHidden[i] = !visible;
        edgeWidth[i] = width;
        edgeUpdates.push({ id: i, hidden: !visible, width });
      }
    });
    if (edgeUpdates.length) edges.update(edgeUpdates);
    if (edgeAdds.length) edges.add(edgeAdds);
    const nodeUpdates = [];
    for (const p of data.people) {
      const hidden = !tied.has(p.id) && !state.showIsolated;
      if (nodeHidden.get(p.id) !== hidden) {
        nodeHidden.set(p.id, hidden);
        nodeUpdates.push({ id: p.id, hidden });
      }
    }
    if (nodeUpdates.length) nodes.update(nodeUpdates);
    el("isolated-label").textContent = `Show ${data.people.length - tied.size} people without ties`;
    if (data.dates) {
      const undated = Object.values(photos).filter((p) => !p.date).length;
      el("undated-note").textContent =
        state.from !== null || state.to !== null ? `(${undated} undated photos not placed)` : "";
    }
  }

  // ------------------------------------------------------------------ header and legend
  function header() {
    el("title").textContent = data.title;
    const c = data.counts;
    let text = `${c.tied} people with ties · ${c.ties} ties · ${c.people} people · ${c.photos} photos`;
    if (data.dates) text += ` · ${data.dates.first} to ${data.dates.last}`;
    if (c.undated) text += ` · ${c.undated} undated`;
    if (c.undated_left_out) text += ` · ${c.undated_left_out} undated photos left out by the date filter`;
    el("counts").textContent = text;
    el("weight-name").textContent = { photos: "shared photos", newman: "(Newman weight)", jaccard: "(Jaccard weight)" }[data.weight] || data.weight;
    const slider = el("min-weight");
    slider.max = String(maxWeight);
    slider.step = data.weight === "photos" ? "1" : String(maxWeight / 100);
    slider.value = String(state.minWeight);
    el("min-weight-value").textContent = data.weight === "photos" ? String(state.minWeight) : state.minWeight.toFixed(2);
    const names = el("names");
    for (const p of data.people) {
      const option = document.createElement("option");
      option.value = p.label;
      names.appendChild(option);
    }
    if (data.dates) {
      el("dates").hidden = false;
      for (const id of ["date-from", "date-to"]) {
        el(id).min = data.dates.first;
        el(id).max = data.dates.last;
      }
    }
  }

  function legend() {
    const box = el("legend");
    if (data.legend) {
      const heading = document.createElement("h2");
      heading.textContent = data.colour_by === "gender" ? "Estimated gender" : "Estimated age";
      box.appendChild(heading);
      for (const item of data.legend) box.appendChild(entry(item.colour, item.text));
      box.appendChild(entry(GREY, "no estimate"));
      return;
    }
    const groups = new Map();
    for (const p of data.people) {
      if (p.community === null) continue;
      if (!groups.has(p.community)) groups.set(p.community, []);
      groups.get(p.community).push(p);
    }
    const title = document.createElement("h2");
    title.textContent = groups.size ? `${groups.size} communities` : "No ties yet";
    box.appendChild(title);
    const sorted = [...groups.entries()].sort((a, b) => a[0] - b[0]);
    for (const [, members] of sorted.slice(0, 30)) {
      members.sort((a, b) => b.ties - a.ties || a.id - b.id);
      box.appendChild(entry(colourOf(members[0]), `${members.length}: ${members.slice(0, 3).map((m) => m.label).join(", ")}${members.length > 3 ? ", …" : ""}`));
    }
    if (sorted.length > 30) box.appendChild(entry("transparent", `and ${sorted.length - 30} more`));
    box.appendChild(entry(GREY, "no tie, no community"));
  }

  function entry(colour, text) {
    const row = document.createElement("div");
    row.className = "entry";
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = colour;
    const label = document.createElement("span");
    label.textContent = text;
    row.append(swatch, label);
    return row;
  }

  // ------------------------------------------------------------------ the side panel
  function openPanel(build) {
    const body = el("panel-body");
    body.replaceChildren();
    build(body);
    el("panel").hidden = false;
  }

  function text(tag, value, className) {
    const node = document.createElement(tag);
    node.textContent = value;
    if (className) node.className = className;
    return node;
  }

  function showPerson(id) {
    const p = byId.get(id);
    if (!p) return;
    openPanel((body) => {
      if (p.face) {
        const img = document.createElement("img");
        img.className = "face";
        img.src = p.face;
        img.alt = p.label;
        body.appendChild(img);
      }
      body.appendChild(text("h2", p.label));
      body.appendChild(text("div", `ID ${p.id} · ${p.photos} photos · ${p.ties} ties`, "muted"));
      if (data.person_link) {
        const link = text("a", "Open their page");
        link.href = data.person_link.replace("{id}", String(p.id));
        link.className = "person-link";
        body.appendChild(link);
      }
      if (p.gender || p.age !== null) {
        const parts = [];
        if (p.gender) parts.push(p.gender);
        if (p.age !== null && p.age !== undefined) parts.push(`about ${Math.round(p.age)} years old`);
        body.appendChild(text("div", `Estimated: ${parts.join(", ")}`, "muted attributes"));
      }
      const ties = data.ties
        .map((t, i) => ({ t, i, w: tieWeight(t) }))
        .filter((x) => (x.t.a === id || x.t.b === id) && x.w > 0)
        .sort((x, y) => y.w - x.w)
        .slice(0, 10);
      if (ties.length) {
        body.appendChild(text("h3", "Strongest ties"));
        const list = document.createElement("ol");
        for (const { t, i, w } of ties) {
          const other = byId.get(t.a === id ? t.b : t.a);
          const button = text("button", `${other.label} (${formatWeight(w)})`);
          button.type = "button";
          button.addEventListener("click", () => selectTie(i));
          const item = document.createElement("li");
          item.appendChild(button);
          list.appendChild(item);
        }
        body.appendChild(list);
      } else {
        body.appendChild(text("p", "Seen with no one else.", "muted"));
      }
    });
  }

  function formatWeight(w) {
    return data.weight === "photos" ? `${w} photo${w === 1 ? "" : "s"}` : w.toFixed(2);
  }

  function showTie(index) {
    const t = data.ties[index];
    const a = byId.get(t.a);
    const b = byId.get(t.b);
    const shared = t.photos.filter(inRange);
    openPanel((body) => {
      body.appendChild(text("h2", `${a.label} & ${b.label}`));
      body.appendChild(text("div", `${shared.length} shared photo${shared.length === 1 ? "" : "s"} · weight ${formatWeight(tieWeight(t))}`, "muted"));
      body.appendChild(text("div", tieDates(shared), "muted when"));
      if (t.sameShot) {
        const shots = `${t.sameShot} shot${t.sameShot === 1 ? "" : "s"}`;
        body.appendChild(text("div", `Also seen in ${shots} of a video, one after the other, never together (facegraph query same_shot)`, "muted"));
      }
      if (data.evidence_link) {
        const link = text("a", "Evidence sheet");
        link.href = data.evidence_link.replace("{a}", String(t.a)).replace("{b}", String(t.b));
        link.className = "evidence";
        body.appendChild(link);
      } else {
        body.appendChild(text("div", `Evidence sheet: facegraph evidence ${t.a} ${t.b}`, "muted evidence"));
      }
      const grid = document.createElement("div");
      grid.className = "photos";
      let missing = 0;
      for (const id of shared) {
        const photo = photos[id] || {};
        if (!photo.thumb) {
          missing += 1;
          continue;
        }
        const figure = document.createElement("figure");
        const img = document.createElement("img");
        img.src = photo.thumb;
        img.alt = photo.name || "";
        figure.append(img, text("figcaption", `${photo.date || "no date"} · ${photo.name || ""}`));
        grid.appendChild(figure);
      }
      body.appendChild(grid);
      if (missing) {
        const names = shared.filter((id) => !(photos[id] || {}).thumb).slice(0, 20)
          .map((id) => `${(photos[id] || {}).name || id} (${(photos[id] || {}).date || "no date"})`);
        body.appendChild(text("p", `${missing} more not embedded: ${names.join(", ")}${missing > 20 ? ", …" : ""}`, "muted"));
      }
    });
  }

  function tieDates(shared) {
    // first and last date, and the shared photos per year (undated ones counted apart)
    const dates = shared.map((id) => (photos[id] || {}).date).filter(Boolean).sort();
    const undated = shared.length - dates.length;
    if (!dates.length) return `no date${undated ? ` (${undated} undated)` : ""}`;
    const years = new Map();
    for (const d of dates) years.set(d.slice(0, 4), (years.get(d.slice(0, 4)) || 0) + 1);
    const perYear = [...years].map(([y, n]) => `${y}: ${n}`).join(", ");
    return `first ${dates[0]} · last ${dates[dates.length - 1]} · ${perYear}${undated ? ` · ${undated} undated` : ""}`;
  }

  function selectTie(index) {
    network.selectEdges([index]);
    showTie(index);
  }

  // ------------------------------------------------------------------ search
  function find(query) {
    const q = query.trim().toLowerCase();
    if (!q) return null;
    const exact = data.people.find((p) => p.label.toLowerCase() === q || String(p.id) === q);
    return exact || data.people.find((p) => p.label.toLowerCase().includes(q)) || null;
  }

  function centreOn(id) {
    const node = nodes.get(id);
    if (node.hidden) {
      state.showIsolated = true;
      el("show-isolated").checked = true;
      applyFilters();
    }
    network.selectNodes([id]);
    network.focus(id, { scale: Math.max(network.getScale(), 1.0), animation: false });
    showPerson(id);
  }

  // ------------------------------------------------------------------ wiring
  header();
  legend();
  applyFilters();
  fitToView();
  enlargeTheMostConnected();

  el("search").addEventListener("change", (e) => {
    const found = find(e.target.value);
    if (found) centreOn(found.id);
  });
  el("search").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      const found = find(e.target.value);
      if (found) centreOn(found.id);
    }
  });
  el("min-weight").addEventListener("input", (e) => {
    state.minWeight = Number(e.target.value);
    el("min-weight-value").textContent = data.weight === "photos" ? String(state.minWeight) : state.minWeight.toFixed(2);
    applyFilters();
  });
  for (const [id, key] of [["date-from", "from"], ["date-to", "to"]]) {
    el(id).addEventListener("change", (e) => {
      state[key] = e.target.value || null;
      applyFilters();
    });
  }
  el("show-isolated").addEventListener("change", (e) => {
    state.showIsolated = e.target.checked;
    applyFilters();
    fitToView();
  });
  el("close-panel").addEventListener("click", () => {
    el("panel").hidden = true;
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") el("panel").hidden = true;
  });
  network.on("click", (params) => {
    if (params.nodes.length) showPerson(params.nodes[0]);
    else if (params.edges.length) showTie(params.edges[0]);
    else el("panel").hidden = true;
  });

  // for scripts and tests: the network, its data sets and the page's functions
  window.facegraph = { network, nodes, edges, data, centreOn, find, selectTie, applyFilters, state };
})();
