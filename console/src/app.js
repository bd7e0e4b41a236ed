// stufenlos console: plain ES module over the public HTTP API (same origin). Leaflet is global L.
import { TEXT, initialLanguage } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const API = new URL("..", location.href).pathname.replace(/\/$/, ""); // console is at <api>/console/
const state = { lang: initialLanguage(), profiles: null, routeLayers: null, draw: [], drawing: false };
const t = (k) => (TEXT[state.lang] && TEXT[state.lang][k]) || TEXT.en[k] || k;

// ---------- HTTP ----------
function key() { return sessionStorage.getItem("stufenlos.key") || ""; }
/** fetch JSON from the API; throws {status, code, message} on error. */
async function api(path, { method = "GET", body, headers = {}, raw = false } = {}) {
  const h = { Accept: "application/json", ...headers };
  if (key()) h.Authorization = `Bearer ${key()}`;
  if (body !== undefined) h["Content-Type"] = "application/json";
  const res = await fetch(API + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) {
    let err = { code: String(res.status), message: res.statusText };
    try { const j = await res.json(); err = j.error || j.detail || j; } catch { /* no body */ }
    throw { status: res.status, code: err.code || String(res.status), message: err.message || JSON.stringify(err), details: err.details };
  }
  if (raw) return res;
  return res.status === 204 ? null : { data: await res.json(), etag: res.headers.get("ETag") };
}
const errText = (e) => (e && e.status === 409 ? t("conflict") : e && e.message ? `${e.message} (${e.code})` : String(e));
function say(id, text, isError = false) { const el = $(id); el.textContent = text; el.classList.toggle("error", isError); }
function el(tag, attrs = {}, ...kids) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") n.textContent = v; else if (k.startsWith("on")) n.addEventListener(k.slice(2), v); else n.setAttribute(k, v);
  }
  for (const c of kids) n.append(c);
  return n;
}
// A tooltip's content as text: Leaflet puts a string into the page as HTML, and what the map
// shows comes from the data (OSM names, a citizen's report, an obstacle's reason).
const tip = (text) => el("span", { text: String(text) });
const num = (x, d = 0) => (x == null || Number.isNaN(x) ? "–" : Number(x).toLocaleString(state.lang, { maximumFractionDigits: d }));
function parsePoint(s) {
  const m = String(s).trim().match(/^(-?\d+(?:\.\d+)?)\s*[,; ]\s*(-?\d+(?:\.\d+)?)$/);
  if (!m) return null;
  const lat = Number(m[1]), lon = Number(m[2]);
  return Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? { lat, lon } : null;
}
const fmtPoint = (ll) => `${ll.lat.toFixed(6)},${ll.lng.toFixed(6)}`;

// ---------- language ----------
function applyLanguage() {
  document.documentElement.lang = state.lang;
  $("lang-select").value = state.lang;
  document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = t(n.dataset.i18n); });
  document.querySelectorAll("[data-i18n-label]").forEach((n) => n.setAttribute("aria-label", t(n.dataset.i18nLabel)));
  document.title = t("title");
  if (state.profiles) { buildProfileControls(); }
  updateKeyStatus();
  drawLegend();
}

// ---------- tabs ----------
function setupTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const select = (tab, focus = true) => {
    for (const x of tabs) {
      const on = x === tab;
      x.setAttribute("aria-selected", String(on)); x.tabIndex = on ? 0 : -1;
      $(x.getAttribute("aria-controls")).hidden = !on;
    }
    if (focus) tab.focus();
    history.replaceState(null, "", `#view-${tab.id.replace("tab-", "")}`);  // not an element id: focus stays
    onTab(tab.id);
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (e) => {
      const j = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
      if (j !== undefined) { e.preventDefault(); select(tabs[(j + tabs.length) % tabs.length]); }
    });
  });
  const start = tabs.find((x) => x.id === `tab-${location.hash.replace(/^#(view-)?/, "")}`);
  if (start) select(start, false);
}
function onTab(id) {
  if (id === "tab-staff" && key()) { loadObstacles(); loadReports(); }
  if (id === "tab-testers" && key()) loadRuns();
}

// ---------- map ----------
let map, networkLayer, seatsLayer, stopsLayer, obstacleLayer, reportsLayer, drawLayer, previewLayer, prioLayer, baseLayer;
const PALETTE = ["#1b7837", "#5aae61", "#f1a340", "#d7301f", "#762a83", "#2166ac", "#8c510a", "#01665e"];
const UNKNOWN_COLOUR = "#595959";
const legendValues = new Map();
//: "known" (how many of the four attributes are known): none → all, red → green (colour-blind safe order).
const KNOWN_SCALE = ["#b2182b", "#d6604d", "#9c6500", "#2166ac", "#1b7837"];
function colourFor(props) {
  if ($("attr-select").value === "known") {
    const c = KNOWN_SCALE[Math.max(0, Math.min(4, Number(props.value) || 0))];
    if (!legendValues.has(String(props.label))) legendValues.set(String(props.label), c);
    return c;
  }
  if (!props.known) return UNKNOWN_COLOUR;
  const label = String(props.label ?? props.value);
  if (!legendValues.has(label)) legendValues.set(label, PALETTE[legendValues.size % PALETTE.length]);
  return legendValues.get(label);
}
function drawLegend() {
  const ul = $("legend-list"); if (!ul) return;
  ul.replaceChildren();
  for (const [label, c] of [...legendValues].sort((a, b) => a[0].localeCompare(b[0]))) {
    ul.append(el("li", {}, el("span", { class: "swatch", style: `background:${c}`, "aria-hidden": "true" }), label));
  }
  if ($("attr-select").value !== "known") ul.append(el("li", { "data-testid": "legend-unknown" }, el("span", { class: "swatch dashed", "aria-hidden": "true" }), t("unknown")));
}
function setupMap() {
  map = L.map("map", { keyboard: true, attributionControl: true }).setView([49.4447, 7.769], 15);
  map.attributionControl.setPrefix(false);
  map.createPane("routes").style.zIndex = 450;  // above the overlay pane (400) of the network
  map.attributionControl.addAttribution('© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors');
  networkLayer = L.geoJSON(null, {
    style: (f) => ({ color: colourFor(f.properties), weight: 4, dashArray: f.properties.known || $("attr-select").value === "known" ? null : "5 4", opacity: 0.9 }),
    onEachFeature: (f, layer) => layer.bindTooltip(tip(`${f.properties.label ?? f.properties.value ?? t("unknown")}`)),
  }).addTo(map);
  const dot = (colour) => (f, ll) => L.circleMarker(ll, { radius: 5, color: "#1a1a1a", weight: 1, fillColor: colour, fillOpacity: 0.9 });
  seatsLayer = L.geoJSON(null, { pointToLayer: dot("#2166ac"), onEachFeature: (f, l) => l.bindTooltip(tip(`${t("seatLabel")}: ${f.properties.kind ?? ""} ${f.properties.backrest ?? ""}`)) });
  stopsLayer = L.geoJSON(null, { pointToLayer: dot("#f1a340"), onEachFeature: (f, l) => l.bindTooltip(tip(`${t("stopLabel")}: ${f.properties.name ?? ""} (${t("wheelchairAccess")}: ${t(f.properties.wheelchair === "unknown" ? "unknown" : f.properties.wheelchair)})`)) });
  obstacleLayer = L.geoJSON(null, { style: { color: "#b00020", weight: 6 }, pointToLayer: dot("#b00020"),
    onEachFeature: (f, l) => l.bindTooltip(tip(`${t("obstacleLabel")}: ${f.properties.reason ?? ""}`)) }).addTo(map);
  reportsLayer = L.geoJSON(null, { style: { color: "#762a83", weight: 5 }, pointToLayer: dot("#762a83"),
    onEachFeature: (f, l) => l.bindTooltip(tip(`${t("reportLabel")}: ${f.properties.description ?? ""}`)) });
  drawLayer = L.layerGroup().addTo(map);
  previewLayer = L.geoJSON(null, { style: { color: "#b35900", weight: 8, opacity: 0.7 } }).addTo(map);
  prioLayer = L.geoJSON(null, { style: { color: "#762a83", weight: 6 }, pointToLayer: dot("#762a83"), onEachFeature: (f, l) => l.bindTooltip(tip(`#${f.properties.rank}: ${f.properties.trips}`)) }).addTo(map);
  const saved = sessionStorage.getItem("stufenlos.basemap") || localStorage.getItem("stufenlos.basemap");
  if (saved) { $("basemap-url").value = saved; setBasemap(saved); }
  let timer;
  map.on("moveend", () => { clearTimeout(timer); timer = setTimeout(refreshMapData, 350); });
  map.on("click", onMapClick);
  api("/health").then(({ data }) => {
    const b = data.graph && data.graph.bbox;
    // the centre of the served area, near enough for the network to fit the piece limit
    if (b) map.setView([(b[1] + b[3]) / 2, (b[0] + b[2]) / 2], 16); else refreshMapData();
  }).catch(() => refreshMapData());
}
function setBasemap(url) {
  if (baseLayer) { map.removeLayer(baseLayer); baseLayer = null; }
  if (url) baseLayer = L.tileLayer(url, { attribution: "© OpenStreetMap contributors" }).addTo(map).bringToBack();
}
const bboxParam = () => { const b = map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((x) => x.toFixed(6)).join(","); };
let networkSeq = 0;
async function refreshMapData() {
  const bbox = bboxParam();
  const attr = $("attr-select").value;
  const seq = ++networkSeq; // answers of an older view are dropped (they may arrive late)
  $("network-status").dataset.state = "loading";
  try {
    const { data } = await api(`/network?bbox=${bbox}&attribute=${attr}`);
    if (seq !== networkSeq) return;
    $("network-status").dataset.state = "ok";
    legendValues.clear(); networkLayer.clearLayers(); networkLayer.addData(data); drawLegend();
    say("network-status", `${data.features.length} ${t("networkShown")}`);
  } catch (e) {
    if (seq !== networkSeq) return;
    $("network-status").dataset.state = e.code === "bbox_too_large" ? "zoom" : "error";
    networkLayer.clearLayers(); legendValues.clear(); drawLegend();
    say("network-status", e.code === "bbox_too_large" ? `${t("zoomIn")} (${e.message})` : errText(e), e.code !== "bbox_too_large");
  }
  for (const [box, kind, layer] of [["show-seats", "seats", seatsLayer], ["show-stops", "stops", stopsLayer]]) {
    layer.clearLayers();
    if ($(box).checked) {
      map.addLayer(layer);
      api(`/features?bbox=${bbox}&kind=${kind}`).then(({ data }) => layer.addData(data)).catch((e) => say("network-status", errText(e), true));
    } else map.removeLayer(layer);
  }
  loadMapObstacles();
  loadMapReports();
}
let obstacleSeq = 0;
async function loadMapObstacles() {
  obstacleLayer.clearLayers();
  const target = $("map-obstacle-list"); const list = document.createDocumentFragment();
  const seq = ++obstacleSeq;
  const done = () => { if (seq === obstacleSeq) target.replaceChildren(list); };
  if (!$("show-obstacles").checked && !$("show-all-obstacles").checked) { done(); return; }
  try {
    let features;
    if ($("show-all-obstacles").checked && key()) {
      const { data } = await api("/obstacles");
      features = data.obstacles.map((o) => ({ type: "Feature", id: o.id, geometry: o.geometry, properties: { ...o, active: o.active } }));
    } else {
      const { data } = await api("/obstacles/active");
      features = data.features || [];
    }
    if (seq !== obstacleSeq) return;
    obstacleLayer.clearLayers(); obstacleLayer.addData({ type: "FeatureCollection", features });
    for (const f of features) {
      const p = f.properties || {};
      list.append(el("li", {}, `${p.reason ?? f.id} — ${JSON.stringify(p.effect ?? {})}${p.active === false ? ` (${t("scheduled")})` : ""}`));
    }
    if (!features.length) list.append(el("li", { text: t("none") }));
    done();
  } catch (e) { list.append(el("li", { class: "error", text: errText(e) })); done(); }
}
async function loadMapReports() {
  reportsLayer.clearLayers();
  if (!$("show-reports").checked || !key()) { map.removeLayer(reportsLayer); return; }
  map.addLayer(reportsLayer);
  try {
    const { data } = await api("/reports?status=open");
    reportsLayer.addData({ type: "FeatureCollection", features: data.reports.filter((r) => r.status === "open").map((r) => ({ type: "Feature", geometry: r.geometry, properties: r })) });
  } catch (e) { say("network-status", errText(e), true); }
}
function onMapClick(e) {
  if (state.drawing) { addDrawPoint(e.latlng); return; }
  const visible = (id) => !$(id).hidden;
  if (!visible("panel-routes")) return;
  const target = $("click-target").value;
  if (target === "origin") { $("route-origin").value = fmtPoint(e.latlng); $("click-target").value = "destination"; }
  else if (target === "destination") $("route-destination").value = fmtPoint(e.latlng);
  else if (target === "via") $("route-via").value = ($("route-via").value.trim() + "\n" + fmtPoint(e.latlng)).trim();
}

// ---------- profiles / routes ----------
async function loadProfiles() {
  try { state.profiles = (await api("/profiles")).data; buildProfileControls(); }
  catch (e) { say("route-message", errText(e), true); }
}
const label = (o) => (state.lang === "de" ? o.label_de : o.label_en) || o.name;
function buildProfileControls() {
  const P = state.profiles; if (!P) return;
  for (const id of ["route-preset", "prio-profile"]) {
    const s = $(id); const v = s.value;
    s.replaceChildren(...P.profiles.map((p) => el("option", { value: p.name, text: label(p) })));
    s.value = v || (P.profiles.some((p) => p.name === "wheelchair") ? "wheelchair" : P.profiles[0].name);
  }
  for (const [fsId, prefix, chosen] of [["compare-presets", "compare", ["walk", "wheelchair"]], ["bench-profiles", "bench-profile", ["wheelchair"]]]) {
    const fs = $(fsId);
    const was = new Set([...fs.querySelectorAll("input:checked")].map((i) => i.value));
    const on = was.size ? was : new Set(chosen);
    fs.querySelectorAll("label").forEach((n) => n.remove());
    for (const p of P.profiles) {
      fs.append(el("label", {}, el("input", { type: "checkbox", id: `${prefix}-${p.name}`, "data-testid": `${prefix}-${p.name}`, value: p.name, ...(on.has(p.name) ? { checked: "" } : {}) }), ` ${label(p)}`));
    }
  }
  buildParams();
}
function buildParams() {
  const P = state.profiles; const preset = $("route-preset").value; const box = $("route-params");
  box.replaceChildren();
  for (const p of P.parameters) {
    const id = `param-${p.name}`; const def = p.defaults ? p.defaults[preset] : undefined;
    const text = `${label(p)}${p.unit ? ` (${p.unit})` : ""}`;
    let input;
    if (p.type === "boolean") {
      input = el("select", { id, "data-testid": id, "data-param": p.name, "data-default": JSON.stringify(def ?? null) },
        el("option", { value: "true", text: t("yes") }), el("option", { value: "false", text: t("no") }));
      input.value = String(Boolean(def));
    } else if (p.type === "enum") {
      input = el("select", { id, "data-testid": id, "data-param": p.name, "data-default": JSON.stringify(def ?? null) },
        ...(p.nullable ? [el("option", { value: "", text: "–" })] : []), ...(p.choices || []).map((c) => el("option", { value: c, text: c })));
      input.value = def ?? "";
    } else if (p.type === "set") {
      input = el("input", { id, "data-testid": id, "data-param": p.name, "data-kind": "set", "data-default": JSON.stringify(def ?? null), value: (def || []).join(","), "aria-describedby": `${id}-hint` });
    } else {
      const a = { id, "data-testid": id, "data-param": p.name, type: "number", "data-default": JSON.stringify(def ?? null), value: def ?? "" };
      if (p.minimum != null) a.min = p.minimum; if (p.maximum != null) a.max = p.maximum;
      a.step = p.type === "integer" ? "1" : "any";
      input = el("input", a);
    }
    const hint = p.type === "set" ? el("small", { id: `${id}-hint`, text: (p.choices || []).join(", ") }) : "";
    box.append(el("label", { for: id, text: text }), input, hint);
  }
}
function changedParams() {
  const out = {};
  $("route-params").querySelectorAll("[data-param]").forEach((n) => {
    const def = JSON.parse(n.dataset.default);
    let v = n.value;
    if (n.tagName === "SELECT" && (v === "true" || v === "false")) v = v === "true";
    else if (n.dataset.kind === "set") v = v.split(",").map((s) => s.trim()).filter(Boolean);
    else if (n.type === "number") v = v === "" ? null : Number(v);
    else if (v === "") v = null;
    if (JSON.stringify(v) !== JSON.stringify(def)) out[n.dataset.param] = v;
  });
  return out;
}
function routeRequest(preset, withParams) {
  const origin = parsePoint($("route-origin").value), destination = parsePoint($("route-destination").value);
  const viaLines = $("route-via").value.split("\n").map((s) => s.trim()).filter(Boolean);
  const via = viaLines.map(parsePoint);
  if (!origin || !destination || via.some((v) => !v)) throw { code: "input", message: t("badPoint") };
  return { origin, destination, via, language: state.lang, profile: { name: preset, parameters: withParams ? changedParams() : {} } };
}
const ROUTE_COLOURS = ["#0b4f9c", "#b35900", "#136b1d", "#762a83"];
function clearRoutes() { if (state.routeLayers) state.routeLayers.clearLayers(); state.routeLayers = L.layerGroup().addTo(map); }
// routes in a pane above the network's (which is redrawn as the map moves)
function drawRoute(route, colour, name) {
  const layer = L.geoJSON(route.geometry, { pane: "routes", style: { color: colour, weight: 6, opacity: 0.85 } }).bindTooltip(tip(name));
  state.routeLayers.addLayer(layer);
  for (const b of [...(route.accessibility?.breaks || []), ...(route.barriers || [])]) {
    if (b.lat != null) state.routeLayers.addLayer(L.circleMarker([b.lat, b.lon], { radius: 7, color: "#b00020", weight: 3 }).bindTooltip(tip(b.message || b.limit || b.type || "")));
  }
  return layer;
}
async function planRoute(ev) {
  ev.preventDefault();
  let req;
  try { req = routeRequest($("route-preset").value, true); } catch (e) { say("route-message", e.message, true); return; }
  say("route-message", t("loading"));
  try {
    const { data } = await api("/routes", { method: "POST", body: req });
    const route = data.routes[0];
    clearRoutes();
    const layer = drawRoute(route, ROUTE_COLOURS[0], $("route-preset").selectedOptions[0].textContent);
    map.fitBounds(layer.getBounds(), { padding: [20, 20] });
    showRoute(route);
    say("route-message", "");
  } catch (e) { $("route-result").hidden = true; say("route-message", errText(e), true); }
}
function showRoute(route) {
  $("route-result").hidden = false;
  $("route-result").dataset.coordinates = JSON.stringify(route.geometry.coordinates); // for tests and copy-paste
  const v = route.accessibility.verdict;
  const vEl = $("route-verdict"); vEl.textContent = t(v); vEl.dataset.verdict = v; vEl.className = `verdict-${v}`;
  $("route-summary").textContent = `${t("distance")}: ${num(route.distance_m)} m · ${t("duration")}: ${num(route.duration_s / 60, 1)} min · ${t("known")}: ${num(route.accessibility.known_share * 100)} %`;
  const br = $("route-breaks"); br.replaceChildren();
  for (const b of route.accessibility.breaks) br.append(el("li", { "data-limit": b.limit, text: `${b.message} (${t("at")} ${num(b.at_m)} m)` }));
  for (const b of route.barriers || []) br.append(el("li", { text: `${b.message || b.type || JSON.stringify(b)}` }));
  if (!br.children.length) br.append(el("li", { text: t("none") }));
  const un = $("route-unknowns"); un.replaceChildren();
  for (const r of route.accessibility.relies_on) {
    un.append(el("li", { text: `${r.attribute}: ${r.count != null ? `${r.count}×` : ""}${r.length_m != null ? ` ${num(r.length_m)} m` : ""}${r.estimated ? " (est.)" : ""}` }));
  }
  if (!un.children.length) un.append(el("li", { text: t("none") }));
  const st = $("route-steps"); st.replaceChildren();
  for (const s of route.steps || []) st.append(el("li", { text: s.text }));
  drawIncline(route);
}
function drawIncline(route) {
  // the route's incline_profile: stretches {from_m, to_m, incline_percent (+ uphill; null
  // unknown), source}; drawn as a step chart (unknown stretches as gaps, estimates dashed) and
  // listed as a table, so the chart is not the only way to read it
  const box = $("route-incline"); box.replaceChildren();
  const profile = route.incline_profile || [];
  const known = profile.filter((p) => p.incline_percent !== null);
  if (!profile.length) { box.append(el("p", { text: t("noIncline") })); return; }
  const W = 320, H = 110, total = profile[profile.length - 1].to_m || 1;
  const peak = Math.max(2, ...known.map((p) => Math.abs(p.incline_percent)));
  const x = (m) => (5 + (m / total) * (W - 10)).toFixed(1);
  const y = (pc) => (H / 2 - (pc / peak) * (H / 2 - 8)).toFixed(1);
  const bars = known.map((p) => `<line x1="${x(p.from_m)}" x2="${x(p.to_m)}" y1="${y(p.incline_percent)}" y2="${y(p.incline_percent)}" stroke="${Math.abs(p.incline_percent) > 6 ? "#b00020" : "#0b4f9c"}" stroke-width="3"${p.source === "dem" ? ' stroke-dasharray="4 2"' : ""}/>`).join("");
  const steepest = known.reduce((m, p) => (Math.abs(p.incline_percent) > Math.abs(m.incline_percent) ? p : m), known[0] || { incline_percent: 0 });
  box.innerHTML = `<svg role="img" aria-labelledby="incline-heading incline-desc" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}"><desc id="incline-desc">${t("maxIncline")}: ${num(steepest.incline_percent, 1)} %, ${num(total)} m</desc><line x1="5" x2="${W - 5}" y1="${H / 2}" y2="${H / 2}" stroke="#666" stroke-width="1"/><text x="5" y="10" font-size="10" fill="#333">+${num(peak, 1)} %</text><text x="5" y="${H - 2}" font-size="10" fill="#333">−${num(peak, 1)} %</text>${bars}</svg>`;
  const table = el("table", { "data-testid": "incline-table" },
    el("caption", { text: t("inclineProfile") }),
    el("tr", {}, el("th", { scope: "col", text: t("fromTo") }), el("th", { scope: "col", text: t("incline") }), el("th", { scope: "col", text: t("source") })));
  for (const p of profile) {
    table.append(el("tr", {},
      el("td", { text: `${num(p.from_m)}–${num(p.to_m)} m` }),
      el("td", { text: p.incline_percent === null ? t("unknown") : `${num(p.incline_percent, 1)} %` }),
      el("td", { text: p.source ? t(`src_${p.source}`) : t("unknown") })));
  }
  const details = el("details", {}, el("summary", { text: t("inclineTable") }), table);
  box.append(details);
}
async function compareProfiles() {
  const names = [...$("compare-presets").querySelectorAll("input:checked")].map((i) => i.value);
  if (names.length < 2) { say("compare-message", t("pickTwo"), true); return; }
  say("compare-message", t("loading"));
  try {
    const reqs = names.map((n) => routeRequest(n, false));
    const answers = await Promise.all(reqs.map((r) => api("/routes", { method: "POST", body: r }).then((x) => x.data.routes[0]).catch((e) => ({ error: e }))));
    clearRoutes();
    const table = el("table", { "data-testid": "compare-table" }, el("caption", { text: t("compare") }),
      el("tr", {}, ...["profile", "verdict", "distance", "duration", "breaks"].map((k) => el("th", { scope: "col", text: t(k) }))));
    answers.forEach((r, i) => {
      const name = $("route-preset").querySelector(`option[value="${names[i]}"]`).textContent;
      const colour = ROUTE_COLOURS[i % ROUTE_COLOURS.length];
      if (r.error) { table.append(el("tr", { "data-profile": names[i] }, el("th", { scope: "row", text: name }), el("td", { colspan: "4", text: errText(r.error) }))); return; }
      drawRoute(r, colour, name);
      table.append(el("tr", { "data-profile": names[i] },
        el("th", { scope: "row" }, el("span", { class: "swatch", style: `background:${colour}`, "aria-hidden": "true" }), name),
        el("td", { "data-verdict": r.accessibility.verdict, text: t(r.accessibility.verdict) }),
        el("td", { text: `${num(r.distance_m)} m` }), el("td", { text: `${num(r.duration_s / 60, 1)} min` }),
        el("td", { text: r.accessibility.breaks.map((b) => b.message).join("; ") || t("none") })));
    });
    $("compare-result").replaceChildren(table);
    say("compare-message", "");
  } catch (e) { say("compare-message", errText(e), true); }
}

// ---------- key ----------
function updateKeyStatus() { say("key-status", key() ? t("loggedIn") : t("loggedOut")); }
function setupKey() {
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const v = $("api-key").value.trim();
    if (v) sessionStorage.setItem("stufenlos.key", v);
    $("api-key").value = ""; updateKeyStatus(); refreshMapData();
    const sel = document.querySelector('[role="tab"][aria-selected="true"]'); if (sel) onTab(sel.id);
  });
  $("key-forget").addEventListener("click", () => { sessionStorage.removeItem("stufenlos.key"); updateKeyStatus(); });
}

// ---------- staff: obstacles ----------
function addDrawPoint(ll) {
  $("obs-coords").value = ($("obs-coords").value.trim() + "\n" + fmtPoint(ll)).trim();
  if ($("obs-geomtype").value === "Point") $("obs-coords").value = fmtPoint(ll);
  renderDraw();
}
function drawnPoints() { return $("obs-coords").value.split("\n").map((s) => s.trim()).filter(Boolean).map(parsePoint); }
function renderDraw() {
  drawLayer.clearLayers();
  const pts = drawnPoints().filter(Boolean).map((p) => [p.lat, p.lon]);
  pts.forEach((p) => drawLayer.addLayer(L.circleMarker(p, { radius: 5, color: "#b35900" })));
  const type = $("obs-geomtype").value;
  if (type === "LineString" && pts.length > 1) drawLayer.addLayer(L.polyline(pts, { color: "#b35900", weight: 4 }));
  if (type === "Polygon" && pts.length > 2) drawLayer.addLayer(L.polygon(pts, { color: "#b35900" }));
}
function obstacleGeometry() {
  const pts = drawnPoints();
  if (!pts.length || pts.some((p) => !p)) throw { code: "input", message: t("badPoint") };
  const c = pts.map((p) => [p.lon, p.lat]);
  const type = $("obs-geomtype").value;
  if (type === "Point") return { type, coordinates: c[0] };
  if (type === "LineString") return { type, coordinates: c };
  const ring = [...c]; if (JSON.stringify(ring[0]) !== JSON.stringify(ring[ring.length - 1])) ring.push(ring[0]);
  return { type, coordinates: [ring] };
}
function effectValue(kind, raw) {
  if (kind === "closed" || kind === "elevator_out_of_service") return { [kind]: true };
  if (kind === "surface") return { surface: raw };
  return { [kind]: kind === "step_count" ? parseInt(raw, 10) : Number(raw) };
}
const localIso = (v) => (v ? (v.length === 16 ? `${v}:00` : v) : null);
function obstacleBody() {
  const body = { geometry: obstacleGeometry(), effect: effectValue($("obs-effect").value, $("obs-effect-value").value.trim()), reason: $("obs-reason").value.trim() };
  const from = localIso($("obs-from").value), until = localIso($("obs-until").value);
  if (from) body.valid_from = from;
  body.valid_until = until;
  return body;
}
function showMatch(match) {
  previewLayer.clearLayers();
  if (!match) return "";
  // the API's match: counts, length_m, street names and the matched paths as a MultiLineString
  const geo = match.geometry ? { type: "Feature", properties: {}, geometry: match.geometry } : null;
  if (geo) previewLayer.addData(geo);
  const summary = Object.entries(match).filter(([, v]) => typeof v !== "object").map(([k, v]) => `${k}: ${v}`).join(", ");
  return `${t("matched")}: ${summary}`;
}
async function previewObstacle() {
  if (!key()) { say("obs-message", t("needKey"), true); return; }
  try {
    const { data } = await api("/obstacles/preview", { method: "POST", body: obstacleBody() });
    say("obs-message", showMatch(data.match || data));
  } catch (e) { say("obs-message", errText(e), true); }
}
async function saveObstacle(ev) {
  ev.preventDefault();
  if (!key()) { say("obs-message", t("needKey"), true); return; }
  try {
    const body = obstacleBody();
    const id = $("obs-id").value;
    let res;
    if (id) res = await api(`/obstacles/${encodeURIComponent(id)}`, { method: "PATCH", body, headers: { "If-Match": `"${$("obs-version").value}"` } });
    else res = await api("/obstacles", { method: "POST", body });
    say("obs-message", `${t("saved")} ${showMatch(res.data.match)}`);
    $("obs-id").value = res.data.id; $("obs-version").value = res.data.version;
    $("obs-form-heading").textContent = t("obsEdit");
    loadObstacles(); loadMapObstacles();
  } catch (e) { say("obs-message", errText(e), true); }
}
function resetObstacleForm() {
  $("obs-form").reset(); $("obs-id").value = ""; $("obs-version").value = "";
  $("obs-form-heading").textContent = t("obsNew"); drawLayer.clearLayers(); previewLayer.clearLayers(); say("obs-message", "");
}
function editObstacle(o) {
  $("obs-id").value = o.id; $("obs-version").value = o.version;
  $("obs-form-heading").textContent = t("obsEdit");
  const g = o.geometry; $("obs-geomtype").value = g.type;
  const pts = g.type === "Point" ? [g.coordinates] : g.type === "LineString" ? g.coordinates : g.coordinates[0].slice(0, -1);
  $("obs-coords").value = pts.map(([lon, lat]) => `${lat},${lon}`).join("\n");
  const [k, v] = Object.entries(o.effect).find(([, x]) => x !== null && x !== false) || ["closed", true];
  $("obs-effect").value = k; $("obs-effect-value").value = typeof v === "boolean" ? "" : v;
  $("obs-reason").value = o.reason;
  $("obs-from").value = o.valid_from ? toLocalInput(o.valid_from) : "";
  $("obs-until").value = o.valid_until ? toLocalInput(o.valid_until) : "";
  renderDraw(); $("obs-reason").focus();
}
function toLocalInput(iso) { const d = new Date(iso); const p = (n) => String(n).padStart(2, "0"); return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`; }
async function deleteObstacle(o) {
  if (!confirm(t("confirmDelete"))) return;
  try {
    await api(`/obstacles/${encodeURIComponent(o.id)}`, { method: "DELETE", headers: { "If-Match": `"${o.version}"` }, raw: true });
    if ($("obs-id").value === o.id) resetObstacleForm();
    say("obs-message", t("deleted"));
    loadObstacles(); loadMapObstacles();
  } catch (e) { say("obs-message", errText(e), true); }
}
async function showHistory(o) {
  try {
    const { data } = await api(`/obstacles/${encodeURIComponent(o.id)}/history`);
    const table = el("table", { "data-testid": "obs-history-table" }, el("caption", { text: `${t("history")}: ${o.reason}` }),
      el("tr", {}, ...["version", "action", "author", "at"].map((k) => el("th", { scope: "col", text: k }))));
    for (const h of data.history) table.append(el("tr", {}, ...[h.version, h.action, h.author, new Date(h.at).toLocaleString(state.lang)].map((x) => el("td", { text: String(x) }))));
    $("obs-history").replaceChildren(table);
  } catch (e) { say("obs-message", errText(e), true); }
}
async function loadObstacles() {
  const target = $("obs-list"); const ul = document.createDocumentFragment(); const done = () => target.replaceChildren(ul);
  if (!key()) { ul.append(el("li", { text: t("needKey") })); done(); return; }
  try {
    const { data } = await api("/obstacles");
    for (const o of data.obstacles) {
      ul.append(el("li", { "data-testid": `obstacle-${o.id}`, "data-id": o.id },
        `${o.reason} — ${JSON.stringify(o.effect)} — ${o.active ? t("active") : t("scheduled")} (v${o.version}) `,
        el("button", { type: "button", class: "secondary", "data-testid": `obstacle-edit-${o.id}`, onclick: () => editObstacle(o), text: t("edit") }), " ",
        el("button", { type: "button", class: "secondary", "data-testid": `obstacle-delete-${o.id}`, onclick: () => deleteObstacle(o), text: t("delete") }), " ",
        el("button", { type: "button", class: "secondary", "data-testid": `obstacle-history-${o.id}`, onclick: () => showHistory(o), text: t("history") })));
    }
    if (!data.obstacles.length) ul.append(el("li", { text: t("none") }));
    done();
  } catch (e) { ul.append(el("li", { class: "error", text: errText(e) })); done(); }
}
async function loadReports() {
  const target = $("reports-list"); const ul = document.createDocumentFragment(); const done = () => target.replaceChildren(ul);
  if (!key()) { ul.append(el("li", { text: t("needKey") })); done(); return; }
  try {
    const { data } = await api("/reports?status=open");
    const open = data.reports.filter((r) => r.status === "open");
    for (const r of open) {
      ul.append(el("li", { "data-testid": `report-${r.id}`, "data-id": r.id },
        `${r.description} (${new Date(r.created_at).toLocaleString(state.lang)}) `,
        el("button", { type: "button", "data-testid": `report-accept-${r.id}`, onclick: () => decideReport(r, "accept"), text: t("accept") }), " ",
        el("button", { type: "button", class: "secondary", "data-testid": `report-reject-${r.id}`, onclick: () => decideReport(r, "reject"), text: t("reject") })));
    }
    if (!open.length) ul.append(el("li", { text: t("none") }));
    done();
  } catch (e) { ul.append(el("li", { class: "error", text: errText(e) })); done(); }
}
async function decideReport(r, what) {
  try {
    const body = what === "accept" ? { effect: effectValue($("report-effect").value, "") } : undefined;
    await api(`/reports/${encodeURIComponent(r.id)}/${what}`, { method: "POST", body });
    say("reports-message", `${t(what)}: ${r.description}`);
    loadReports(); loadObstacles(); loadMapObstacles();
  } catch (e) { say("reports-message", errText(e), true); }
}
async function importFile() {
  const f = $("import-file").files[0]; if (!f) return;
  try {
    const json = JSON.parse(await f.text());
    const { data } = await api("/obstacles/import", { method: "POST", body: json });
    say("io-message", `${t("imported")}: ${data.created} + ${data.updated}`);
    loadObstacles(); loadMapObstacles();
  } catch (e) { say("io-message", errText(e), true); }
}
async function exportFile() {
  try {
    const { data } = await api("/obstacles/export");
    const a = el("a", { href: URL.createObjectURL(new Blob([JSON.stringify(data, null, 1)], { type: "application/geo+json" })), download: "obstacles.geojson" });
    document.body.append(a); a.click(); a.remove();
    say("io-message", `${data.features.length} ${t("obstacles")}`);
  } catch (e) { say("io-message", errText(e), true); }
}

// ---------- priorities ----------
function prioQuery() { return `profile=${encodeURIComponent($("prio-profile").value)}&trips=${Number($("prio-trips").value) || 200}&seed=${Number($("prio-seed").value) || 0}`; }
async function loadPriorities() {
  say("prio-message", t("loading"));
  $("prio-download").href = `${API}/priorities.ndjson?${prioQuery()}`;
  try {
    const { data } = await api(`/priorities?${prioQuery()}`);
    prioLayer.clearLayers(); prioLayer.addData(data);
    const ol = $("prio-list"); ol.replaceChildren();
    for (const f of data.features) {
      const p = f.properties;
      const [lon, lat] = f.geometry.type === "LineString" ? f.geometry.coordinates[0] : f.geometry.coordinates;
      const place = p.length_m == null ? t(`place_${p.kind}`) : `${num(p.length_m)} m`;
      ol.append(el("li", { "data-rank": p.rank, "data-kind": p.kind },
        `${p.attribute}: ${place}, ${p.trips} ${t("trips")} `,
        el("button", { type: "button", class: "secondary", onclick: () => map.setView([lat, lon], 18), text: t("show") })));
    }
    if (data.features.length) map.fitBounds(prioLayer.getBounds(), { padding: [20, 20] });
    say("prio-message", `${data.features.length}`);
  } catch (e) { say("prio-message", errText(e), true); }
}

// ---------- testers ----------
let pollTimer;
async function startRun(ev) {
  ev.preventDefault();
  if (!key()) { say("bench-message", t("needKey"), true); return; }
  const profiles = [...$("bench-profiles").querySelectorAll("input:checked")].map((i) => i.value);
  try {
    const { data } = await api("/bench/runs", { method: "POST", body: { pairs: Number($("bench-pairs").value), seed: Number($("bench-seed").value), profiles } });
    say("bench-message", `${t("run")} ${data.id}: ${t("loading")}`);
    pollRun(data.id);
  } catch (e) { say("bench-message", errText(e), true); }
}
async function pollRun(id) {
  clearTimeout(pollTimer);
  try {
    const { data } = await api(`/bench/runs/${encodeURIComponent(id)}`);
    $("bench-progress").value = data.progress ?? 0;
    $("bench-progress").setAttribute("aria-valuetext", `${num((data.progress ?? 0) * 100)} %`);
    say("bench-message", `${t("run")} ${id}: ${data.status} (${num((data.progress ?? 0) * 100)} %)`);
    if (!["done", "failed", "interrupted"].includes(data.status)) pollTimer = setTimeout(() => pollRun(id), 1000);
    else { loadRuns(); showRun(id, data); }
  } catch (e) { say("bench-message", errText(e), true); }
}
async function loadRuns() {
  const target = $("bench-runs"); const ul = document.createDocumentFragment(); const done = () => target.replaceChildren(ul);
  if (!key()) { ul.append(el("li", { text: t("needKey") })); done(); return; }
  try {
    const { data } = await api("/bench/runs");
    const runs = Array.isArray(data) ? data : data.runs || [];
    for (const s of ["bench-base", "bench-run"]) { const v = $(s).value; $(s).replaceChildren(...runs.map((r) => el("option", { value: r.id, text: `${r.id} (${r.status})` }))); if (v) $(s).value = v; }
    if (runs.length > 1 && !$("bench-base").dataset.touched) { $("bench-base").value = runs[1].id; $("bench-run").value = runs[0].id; }
    for (const r of runs) {
      ul.append(el("li", { "data-testid": `bench-run-${r.id}`, "data-status": r.status },
        `${r.id} — ${r.status}${r.created_at ? ` — ${new Date(r.created_at).toLocaleString(state.lang)}` : ""} `,
        el("button", { type: "button", class: "secondary", "data-testid": `bench-open-${r.id}`, onclick: () => showRun(r.id), text: t("open") })));
    }
    if (!runs.length) ul.append(el("li", { text: t("none") }));
    done();
  } catch (e) { ul.append(el("li", { class: "error", text: errText(e) })); done(); }
}
function kvTable(obj, caption) {
  const table = el("table", {}, el("caption", { text: caption }));
  const flat = (o, pre = "") => Object.entries(o || {}).flatMap(([k, v]) => (v && typeof v === "object" && !Array.isArray(v) ? flat(v, `${pre}${k}.`) : [[pre + k, v]]));
  for (const [k, v] of flat(obj)) table.append(el("tr", {}, el("th", { scope: "row", text: k }), el("td", { text: Array.isArray(v) ? v.join(", ") : typeof v === "number" ? num(v, 3) : String(v) })));
  return table;
}
async function showRun(id, known) {
  try {
    const data = known || (await api(`/bench/runs/${encodeURIComponent(id)}`)).data;
    const box = $("bench-detail");
    const plots = data.plots || (data.summary && data.summary.plots) || [];
    const summary = { ...(data.summary || {}) }; delete summary.plots;
    box.replaceChildren(el("h3", { text: `${t("run")} ${id}` }), kvTable(summary, t("summary")));
    if (plots.length) {
      const div = el("div", { class: "plots", "data-testid": "bench-plots" }, el("h4", { text: t("plots") }));
      for (const p of plots) {
        const name = String(p).replace(/\.png$/, "").split("/").pop();
        const img = el("img", { alt: name });
        div.append(el("figure", {}, img, el("figcaption", { text: name })));
        // plots need the tester key, which an <img src> cannot send: fetched, shown as blob:
        api(`/bench/runs/${encodeURIComponent(id)}/plots/${encodeURIComponent(name)}.png`, { raw: true })
          .then((res) => res.blob()).then((b) => { img.src = URL.createObjectURL(b); })
          .catch((e) => { img.alt = `${name}: ${errText(e)}`; });
      }
      box.append(div);
    }
  } catch (e) { say("bench-message", errText(e), true); }
}
async function compareRuns() {
  try {
    const { data } = await api(`/bench/compare?base=${encodeURIComponent($("bench-base").value)}&run=${encodeURIComponent($("bench-run").value)}`);
    $("bench-compare-result").replaceChildren(kvTable(data, t("compareRuns")));
  } catch (e) { $("bench-compare-result").replaceChildren(el("p", { class: "error", text: errText(e) })); }
}

// ---------- wiring ----------
function main() {
  setupTabs(); setupKey(); setupMap();
  $("lang-select").addEventListener("change", (e) => { state.lang = e.target.value; sessionStorage.setItem("stufenlos.lang", state.lang); applyLanguage(); });
  $("basemap-apply").addEventListener("click", () => { const u = $("basemap-url").value.trim(); localStorage.setItem("stufenlos.basemap", u); setBasemap(u); });
  $("attr-select").addEventListener("change", refreshMapData);
  for (const id of ["show-seats", "show-stops", "show-obstacles", "show-all-obstacles", "show-reports"]) $(id).addEventListener("change", refreshMapData);
  $("route-form").addEventListener("submit", planRoute);
  $("route-preset").addEventListener("change", buildParams);
  $("compare-submit").addEventListener("click", compareProfiles);
  $("obs-draw").addEventListener("click", () => { state.drawing = !state.drawing; $("obs-draw").setAttribute("aria-pressed", String(state.drawing)); });
  $("obs-coords").addEventListener("input", renderDraw);
  $("obs-geomtype").addEventListener("change", renderDraw);
  $("obs-clear").addEventListener("click", () => { $("obs-coords").value = ""; renderDraw(); previewLayer.clearLayers(); });
  $("obs-preview").addEventListener("click", previewObstacle);
  $("obs-form").addEventListener("submit", saveObstacle);
  $("obs-cancel").addEventListener("click", resetObstacleForm);
  $("obs-refresh").addEventListener("click", loadObstacles);
  $("reports-refresh").addEventListener("click", loadReports);
  $("import-submit").addEventListener("click", importFile);
  $("export-btn").addEventListener("click", exportFile);
  $("prio-load").addEventListener("click", loadPriorities);
  $("prio-profile").addEventListener("change", () => { $("prio-download").href = `${API}/priorities.ndjson?${prioQuery()}`; });
  $("bench-form").addEventListener("submit", startRun);
  $("bench-refresh").addEventListener("click", loadRuns);
  $("bench-base").addEventListener("change", () => { $("bench-base").dataset.touched = "1"; });
  $("bench-compare").addEventListener("click", compareRuns);
  applyLanguage();
  loadProfiles().then(() => { $("prio-download").href = `${API}/priorities.ndjson?${prioQuery()}`; });
  document.body.dataset.ready = "true";
}
main();
