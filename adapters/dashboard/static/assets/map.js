// landrelease dashboard: area polygons drawn as SVG, with no map tiles and no
// internet. GeoJSON Polygon and MultiPolygon geometries (WGS84) are projected
// with a simple equirectangular projection fitted to their bounds (longitude
// scaled by the cosine of the middle latitude), which is true enough at the
// scale of a province. Each polygon links to its area page.
"use strict";

const AreaMap = (() => {
  const FILL = { SHA: "#e0a526", CHA: "#c0392b", RELEASED: "#2e8b57" };
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

  // rings answers the polygons of a geometry as lists of rings of [lon, lat].
  function polygons(g) {
    if (!g || typeof g !== "object") return [];
    if (typeof g === "string") { try { g = JSON.parse(g); } catch (_) { return []; } }
    if (g.type === "Polygon") return [g.coordinates || []];
    if (g.type === "MultiPolygon") return g.coordinates || [];
    if (g.type === "Feature") return polygons(g.geometry);
    return [];
  }

  // Access-restricted areas (RestrictAccess: nobody may enter) keep their
  // status colour, hatched and outlined dashed in RESTRICTED.
  const RESTRICTED = "#4a235a";

  // draw fills container with an SVG map of items: {id, status, geometry,
  // label, highlight, restricted}. Answers the number of items drawn.
  function draw(container, items, opts) {
    opts = opts || {};
    const shapes = items.map((it) => ({ it, polys: polygons(it.geometry) })).filter((s) => s.polys.length);
    if (!shapes.length) {
      container.replaceChildren(LR.el("p", { class: "muted empty" }, opts.empty || "No polygon recorded."));
      return 0;
    }
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const s of shapes) for (const poly of s.polys) for (const ring of poly) for (const [x, y] of ring) {
      if (x < minX) minX = x; if (x > maxX) maxX = x; if (y < minY) minY = y; if (y > maxY) maxY = y;
    }
    const k = Math.cos(((minY + maxY) / 2) * Math.PI / 180);
    const W = 1000, pad = 40;
    const spanX = Math.max((maxX - minX) * k, 1e-9), spanY = Math.max(maxY - minY, 1e-9);
    const scale = Math.min((W - 2 * pad) / spanX, (W * 0.75 - 2 * pad) / spanY);
    const H = Math.round(spanY * scale + 2 * pad);
    const px = (x) => (pad + (x - minX) * k * scale).toFixed(1);
    const py = (y) => (pad + (maxY - y) * scale).toFixed(1);
    const path = (polys) => polys.map((poly) => poly.map((ring) => "M" + ring.map(([x, y]) => px(x) + " " + py(y)).join("L") + "Z").join("")).join("");
    // A small polygon among large ones still shows: a minimum stroke.
    const body = shapes.map(({ it, polys }) => {
      const fill = FILL[it.status] || "#888";
      const cls = "area" + (it.highlight ? " highlight" : "") + (it.restricted ? " restricted" : "");
      const d = path(polys);
      const title = `<title>${esc(it.label || it.id)}</title>`;
      const stroke = it.restricted ? `stroke="${RESTRICTED}" stroke-width="2" stroke-dasharray="6 3"` : `stroke="${fill}" stroke-width="1.2"`;
      const hatch = it.restricted ? `<path class="hatch" d="${d}" fill="url(#lr-restricted)" stroke="none" fill-rule="evenodd">${title}</path>` : "";
      return `<a href="${esc(LR.areaHref(it.id))}" data-area="${esc(it.id)}"${it.restricted ? ' data-restricted="true"' : ""}><path class="${cls}" d="${d}" fill="${fill}" fill-opacity="0.6" ${stroke} fill-rule="evenodd" vector-effect="non-scaling-stroke">${title}</path>${hatch}</a>`;
    }).join("");
    const defs = `<defs><pattern id="lr-restricted" patternUnits="userSpaceOnUse" width="9" height="9" patternTransform="rotate(45)"><rect width="3" height="9" fill="${RESTRICTED}" fill-opacity="0.6"/></pattern></defs>`;
    // Scale bar: a round length near a fifth of the width.
    const metresPerUnit = 111320 / scale; // one SVG unit in metres (x and y alike after scaling by k)
    const target = (W / 5) * metresPerUnit;
    const p10 = Math.pow(10, Math.floor(Math.log10(target)));
    const len = [1, 2, 5, 10].map((m) => m * p10).filter((v) => v <= target).pop();
    const lenPx = len / metresPerUnit;
    const lenText = len >= 1000 ? LR.fmt.int(len / 1000) + " km" : LR.fmt.int(len) + " m";
    // Text sized in map units: the drawing is 1000 units wide on any screen.
    const bar = `<g class="scale"><rect x="${pad}" y="${H - 16}" width="${lenPx.toFixed(1)}" height="6" fill="#333"/><text x="${pad}" y="${H - 24}" font-size="22">${lenText}</text></g>`;
    const corner = `<text x="${W - pad}" y="${H - 8}" font-size="18" text-anchor="end" fill="#555">${minY.toFixed(3)}°–${maxY.toFixed(3)}° N, ${minX.toFixed(3)}°–${maxX.toFixed(3)}° E</text>`;
    container.innerHTML = `<svg class="area-map" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(opts.title || LR.t("js.map.title"))}" data-drawn="${shapes.length}"><rect width="${W}" height="${H}" fill="#f4f1ea"/>${defs}${body}${bar}${corner}</svg>`;
    return shapes.length;
  }

  function legend() {
    return LR.el("p", { class: "legend" }, Object.keys(FILL).map((k) => LR.el("span", { class: "key key-" + k.toLowerCase() }, ({ SHA: LR.t("js.legend.SHA"), CHA: LR.t("js.legend.CHA"), RELEASED: LR.t("js.legend.RELEASED") }[k] || k))),
      LR.el("span", { class: "key key-restricted", title: LR.t("js.legend.restricted_title") }, LR.t("js.legend.restricted_hatched")));
  }

  // restricted reports whether an area of the API is access-restricted.
  const restricted = (a) => Boolean(a && a.restricted_since);

  // loadAreas pages through GET /api/v1/areas and answers every row (up to
  // max) with the total the API reports.
  async function loadAreas(query, max) {
    const rows = [];
    let total = 0;
    max = max || 10000;
    for (let offset = 0; offset < max;) {
      const q = new URLSearchParams(query);
      q.set("limit", "1000");
      q.set("offset", String(offset));
      const page = await LR.api("/api/v1/areas?" + q);
      total = page.total;
      const got = page.areas || [];
      rows.push(...got);
      offset += got.length;
      if (!got.length || offset >= total) break;
    }
    return { rows, total };
  }

  return { draw, legend, loadAreas, polygons, restricted };
})();
