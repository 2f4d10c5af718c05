// Map page: the areas of the register on an interactive map (MapLibre GL
// JS, vendored under /vendor): the province boundaries
// (GET /api/v1/map/boundaries), the areas' polygons as vector tiles
// (GET /api/v1/map/tiles/{z}/{x}/{y}, clusters below zoom 8), filters by
// province, status, class, hazard and operator, and a popup per area that
// links to its page. Everything comes from this server.
import * as maplibregl from "/vendor/maplibre-gl.mjs";

const { el, fmt, $, t } = LR;
const FILL = { SHA: "#e0a526", CHA: "#c0392b", RELEASED: "#2e8b57" };
const RESTRICTED = "#4a235a";
const FILTERS = ["status", "class", "hazard", "operator"];

let map, boundaries, basemap = null, seq = -1, province = null;

// areaFilter is the MapLibre filter of the chosen status, class, hazard and
// operator.
function areaFilter() {
  const all = ["all"];
  for (const f of FILTERS) {
    const v = LR.param(f);
    if (v) all.push(["==", ["get", f], v]);
  }
  return all;
}

function tileURL(s, prov) {
  const q = new URLSearchParams({ v: String(s) });
  if (prov) q.set("province", prov);
  return location.origin + "/api/v1/map/tiles/{z}/{x}/{y}?" + q;
}

// boundsOf answers the [[w, s], [e, n]] of a province's boundary, or of all.
function boundsOf(name) {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  for (const f of boundaries.features || []) {
    if (name && f.properties.province !== name) continue;
    const polys = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
    for (const p of polys) for (const [x, y] of p[0]) { w = Math.min(w, x); e = Math.max(e, x); s = Math.min(s, y); n = Math.max(n, y); }
  }
  return w < e ? [[w, s], [e, n]] : null;
}

// drawn counts the areas (and the access-restricted ones) in the loaded
// tiles that the filters keep, for the note and the tests.
function drawn() {
  const ids = new Set(), restricted = new Set();
  for (const f of map.querySourceFeatures("areas", { sourceLayer: "areas", filter: areaFilter() })) {
    ids.add(f.properties.id);
    if (f.properties.restricted) restricted.add(f.properties.id);
  }
  return { ids, restricted };
}

function popup(lngLat, p) {
  const body = el("div", { class: "area-popup" },
    el("strong", {}, `${p.province}: ${{ SHA: t("js.legend.SHA"), CHA: t("js.legend.CHA"), RELEASED: t("js.legend.RELEASED") }[p.status] || p.status}`), el("br"),
    `${p.class} · ${p.hazard}${p.operator ? " · " + p.operator : ""}`, el("br"),
    `${fmt.area(p.remaining_m2)} remaining`, p.restricted ? el("span", { class: "badge" }, " access-restricted") : "", el("br"),
    el("a", { href: LR.areaHref(p.id), "data-area": p.id }, t("js.map.open_area")));
  new maplibregl.Popup({ maxWidth: "280px" }).setLngLat(lngLat).setDOMContent(body).addTo(map);
}

// basemapStyle answers the sources and layers of the offline basemap
// (serve --basemap): a raster archive as it is; a vector one (pbf) drawn
// with the OpenMapTiles layer names it has (water, landcover, waterway,
// transportation, boundary), plain.
function basemapStyle() {
  if (!basemap) return { sources: {}, layers: [] };
  const src = { tiles: [location.origin + "/api/v1/map/basemap/{z}/{x}/{y}"], minzoom: basemap.minzoom, maxzoom: basemap.maxzoom, attribution: basemap.attribution || "" };
  if (basemap.bounds) src.bounds = basemap.bounds;
  if (basemap.format !== "pbf") {
    return { sources: { basemap: { type: "raster", tileSize: basemap.tile_size || 256, ...src } }, layers: [{ id: "basemap", type: "raster", source: "basemap" }] };
  }
  const has = (l) => !basemap.vector_layers || basemap.vector_layers.includes(l);
  const layers = [
    has("landcover") && { id: "bm-landcover", type: "fill", source: "basemap", "source-layer": "landcover", paint: { "fill-color": "#dfe9cf", "fill-opacity": 0.6 } },
    has("water") && { id: "bm-water", type: "fill", source: "basemap", "source-layer": "water", paint: { "fill-color": "#aad3df" } },
    has("waterway") && { id: "bm-waterway", type: "line", source: "basemap", "source-layer": "waterway", paint: { "line-color": "#aad3df", "line-width": 1 } },
    has("transportation") && { id: "bm-roads", type: "line", source: "basemap", "source-layer": "transportation", paint: { "line-color": "#b9b2a5", "line-width": 1 } },
    has("boundary") && { id: "bm-boundary", type: "line", source: "basemap", "source-layer": "boundary", paint: { "line-color": "#9e9cab", "line-width": 1, "line-dasharray": [3, 2] } },
  ].filter(Boolean);
  return { sources: { basemap: { type: "vector", ...src } }, layers };
}

function build(container) {
  const bm = basemapStyle();
  map = new maplibregl.Map({
    container,
    style: {
      version: 8,
      sources: {
        ...bm.sources,
        boundaries: { type: "geojson", data: boundaries, attribution: boundaries.attribution || "" },
        areas: { type: "vector", tiles: [tileURL(seq, province)], minzoom: 0, maxzoom: 14 },
      },
      layers: [
        { id: "background", type: "background", paint: { "background-color": "#f4f1ea" } },
        ...bm.layers,
        { id: "province-fill", type: "fill", source: "boundaries", paint: { "fill-color": "#ffffff", "fill-opacity": basemap ? 0.1 : 0.6 } },
        { id: "province-line", type: "line", source: "boundaries", paint: { "line-color": "#555", "line-width": 1.2 } },
        { id: "clusters", type: "circle", source: "areas", "source-layer": "clusters",
          paint: { "circle-color": "#5b6770", "circle-opacity": 0.7, "circle-radius": ["interpolate", ["linear"], ["sqrt", ["get", "count"]], 1, 3, 30, 18] } },
        { id: "areas-fill", type: "fill", source: "areas", "source-layer": "areas", filter: areaFilter(),
          paint: { "fill-color": ["match", ["get", "status"], "SHA", FILL.SHA, "CHA", FILL.CHA, "RELEASED", FILL.RELEASED, "#888"], "fill-opacity": 0.6 } },
        { id: "areas-line", type: "line", source: "areas", "source-layer": "areas", filter: ["all", areaFilter(), ["!=", ["get", "restricted"], true]],
          paint: { "line-color": ["match", ["get", "status"], "SHA", FILL.SHA, "CHA", FILL.CHA, "RELEASED", FILL.RELEASED, "#888"], "line-width": 1.2 } },
        { id: "areas-restricted", type: "line", source: "areas", "source-layer": "areas", filter: ["all", areaFilter(), ["==", ["get", "restricted"], true]],
          paint: { "line-color": RESTRICTED, "line-width": 2, "line-dasharray": [3, 1.5] } },
      ],
    },
    bounds: boundsOf(province) || [[102.3, 10.4], [107.7, 14.7]],
    fitBoundsOptions: { padding: 20 },
    attributionControl: { compact: false },
    // The bearer token goes with every tile and boundary request.
    transformRequest: (url) => (url.startsWith(location.origin + "/api/") && LR.token() ? { url, headers: { Authorization: "Bearer " + LR.token() } } : { url }),
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  map.on("click", "areas-fill", (ev) => { if (ev.features && ev.features.length) popup(ev.lngLat, ev.features[0].properties); });
  map.on("mouseenter", "areas-fill", () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", "areas-fill", () => { map.getCanvas().style.cursor = ""; });
  map.on("idle", note);
  // The canvas follows its box (the page's layout can settle after the map
  // starts: a style sheet, the legend, a narrower window).
  new ResizeObserver(() => map.resize()).observe(container);
  map.on("error", (ev) => {
    // A basemap archive with holes is not an error of the map.
    if (ev.sourceId === "basemap") { console.warn("basemap:", ev.error && ev.error.message); return; }
    const box = $("#map-error");
    box.hidden = false;
    box.className = "error";
    box.textContent = t("js.map.could_not_load") + " " + ((ev.error && ev.error.message) || ev.error);
  });
  window.LRMap = map; // for the browser tests and the console
}

let restrictedTotal = 0;
function note() {
  const { ids, restricted } = drawn();
  const c = map.getContainer();
  c.dataset.drawn = String(ids.size);
  c.dataset.restrictedDrawn = String(restricted.size);
  c.dataset.zoom = map.getZoom().toFixed(2);
  const chosen = FILTERS.map((f) => LR.param(f) && `${f} ${LR.param(f)}`).filter(Boolean).join(", ");
  $("#map-note").replaceChildren(map.getZoom() < 8
    ? t("js.map.zoom_in") + " "
    : t("js.map.note", { n: fmt.int(ids.size), where: (province ? " " + t("js.map.in", { province }) : "") + (chosen ? " (" + chosen + ")" : ""), restricted: fmt.int(restricted.size) }) + " ",
  el("span", { "data-figure": "map-restricted" }, fmt.int(restrictedTotal)), " " + (restrictedTotal === 1 ? t("js.map.restricted_one") : t("js.map.restricted_many")) + (province ? " " + t("js.map.in", { province }) : "") + t("js.overview.period"));
}

function legend() {
  return el("p", { class: "legend" },
    Object.keys(FILL).map((k) => el("span", { class: "key key-" + k.toLowerCase() }, ({ SHA: t("js.legend.SHA"), CHA: t("js.legend.CHA"), RELEASED: t("js.legend.RELEASED") }[k] || k))),
    el("span", { class: "key key-restricted", title: t("js.legend.restricted_title") }, t("js.legend.restricted_dashed")),
    el("span", { class: "key key-boundary" }, t("js.legend.boundary")),
    el("span", { class: "key key-cluster" }, t("js.legend.cluster")));
}

async function load(s) {
  const box = $("#map-error");
  await LR.guarded(box, async () => {
    const overview = await LR.api("/api/v1/overview", { minSequence: s });
    const names = (overview.provinces || []).map((p) => p.province).sort();
    const operators = [...new Set((overview.capacity || []).map((d) => d.operator))].sort();
    const chosen = LR.param("province");
    $("#province-select").replaceChildren(el("option", { value: "" }, t("js.map.all_provinces")), ...names.map((n) => el("option", { value: n, selected: n === chosen }, n)));
    $("#operator-select").replaceChildren(el("option", { value: "" }, t("js.common.any")), ...operators.map((n) => el("option", { value: n, selected: n === LR.param("operator") }, n)));
    for (const f of ["status", "class", "hazard"]) $(`#${f}-select`).value = LR.param(f);
    const figures = chosen ? (overview.provinces || []).find((p) => p.province === chosen) : overview.national;
    restrictedTotal = (figures && figures.restricted_areas) || 0;
    if (!boundaries) {
      basemap = (await LR.api("/api/v1/map")).basemap;
      try { boundaries = await LR.api("/api/v1/map/boundaries"); } catch (e) {
        if (!(e instanceof LR.APIError) || e.status !== 404) throw e;
        boundaries = { type: "FeatureCollection", features: [] };
      }
      $("#map-attribution").textContent = boundaries.attribution || "";
    }
    const newSeq = overview.sequence;
    if (!map) {
      seq = newSeq; province = chosen;
      build($("#map"));
    } else {
      if (newSeq !== seq || chosen !== province) {
        seq = newSeq;
        map.getSource("areas").setTiles([tileURL(seq, chosen)]);
      }
      if (chosen !== province) {
        province = chosen;
        const b = boundsOf(province);
        if (b) map.fitBounds(b, { padding: 20, duration: 0 });
      }
      const f = areaFilter();
      map.setFilter("areas-fill", f);
      map.setFilter("areas-line", ["all", f, ["!=", ["get", "restricted"], true]]);
      map.setFilter("areas-restricted", ["all", f, ["==", ["get", "restricted"], true]]);
      note();
    }
    box.hidden = true;
  });
}

$("#map-legend").replaceChildren(legend());
$("#filters").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const q = new URLSearchParams();
  for (const f of ["province", ...FILTERS]) if ($(`#${f}-select`).value) q.set(f, $(`#${f}-select`).value);
  history.pushState(null, "", "/map.html" + (q.toString() ? "?" + q : ""));
  load(0);
});
window.addEventListener("popstate", () => load(0));
LR.start(load);
