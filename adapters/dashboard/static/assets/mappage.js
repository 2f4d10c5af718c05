// Map page: every area with a recorded polygon, by province and status
// (GET /api/v1/areas?province=&status=), drawn as SVG without map tiles.
"use strict";

(() => {
  const { el, fmt, $ } = LR;

  async function load(seq) {
    const box = $("#map-error");
    await LR.guarded(box, async () => {
      const overview = await LR.api("/api/v1/overview", { minSequence: seq });
      const province = LR.param("province"), status = LR.param("status");
      const names = (overview.provinces || []).map((p) => p.province).sort();
      $("#province-select").replaceChildren(el("option", { value: "" }, "all provinces"), ...names.map((n) => el("option", { value: n, selected: n === province }, n)));
      $("#status-select").value = status;
      const q = {};
      if (province) q.province = province;
      if (status) q.status = status;
      const { rows, total } = await AreaMap.loadAreas(q);
      const drawn = AreaMap.draw($("#map"), rows.map((a) => ({
        id: a.area_id || a.id, status: a.status, geometry: a.geometry, restricted: AreaMap.restricted(a),
        label: `${a.province}, ${a.district || ""}: ${a.status}, ${fmt.area(a.remaining_m2)} remaining` +
          (AreaMap.restricted(a) ? `; access-restricted since ${fmt.date(a.restricted_since)} (${a.restriction_reason})` : ""),
      })), { title: "hazard areas", empty: "No area matching these filters has a recorded polygon." });
      const restricted = rows.filter(AreaMap.restricted).length;
      $("#map-note").replaceChildren(`${fmt.int(drawn)} of ${fmt.int(total)} areas${province ? " in " + province : ""}${status ? " (" + status + ")" : ""} have a recorded polygon; `,
        el("span", { "data-figure": "map-restricted" }, fmt.int(restricted)), ` of the ${fmt.int(total)} ${restricted === 1 ? "is" : "are"} access-restricted (hatched).`);
      box.hidden = true;
    });
  }

  $("#map-legend").replaceChildren(AreaMap.legend());
  $("#filters").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    if ($("#province-select").value) q.set("province", $("#province-select").value);
    if ($("#status-select").value) q.set("status", $("#status-select").value);
    history.pushState(null, "", "/map.html" + (q.toString() ? "?" + q : ""));
    load(0);
  });
  window.addEventListener("popstate", () => load(0));
  LR.start(load);
})();
