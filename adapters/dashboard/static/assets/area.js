// Area page: GET /api/v1/areas/{id} (the area and its full history), the
// polygon, the evidence, a timeline, and forms that send RecordEvidence,
// RecordQAVisit and CancelArea (NTS) through POST /api/v1/commands.
"use strict";

(() => {
  const { el, fmt, figure, link, $, t } = LR;
  const id = LR.param("id");
  let area = null;

  const TYPE_CLASS = {
    AreaCancelled: "released", AreaReduced: "released", AreaCleared: "released",
    EvidenceRecorded: "evidence", QAVisitRecorded: "qa", AccessRestricted: "restricted", AccessRestrictionLifted: "restricted",
  };

  // restrictionText says since when, why and until when access is
  // restricted (the area document's restricted_* fields).
  const restrictionText = (a) => LR.t("js.area.since", { date: fmt.date(a.restricted_since), reason: a.restriction_reason || LR.t("js.area.no_reason") }) + " " +
    (a.restricted_until ? LR.t("js.area.expected_open", { date: fmt.date(a.restricted_until) }) : LR.t("js.area.no_opening"));

  // summary answers the facts of one history entry in a sentence.
  function summary(h) {
    const d = h.data || {};
    const size = d.size_m2 != null ? fmt.area(d.size_m2) : "";
    const rest = d.remaining_m2 != null ? " " + t("js.ev.remaining", { area: fmt.area(d.remaining_m2) }) : "";
    const why = d.reason || t("js.area.no_reason");
    switch (h.type) {
      case "AreaRegistered":
        return t("js.ev.registered", { class: d.classification || "SHA", size, place: [d.village, d.commune, d.district, d.province].filter(Boolean).join(", "), source: d.source || "–", hazard: d.hazard || "–" });
      case "EvidenceRecorded":
        return t("js.ev.evidence", { kind: fmt.words(d.kind), date: fmt.date(d.observed_on) }) + `${d.description ? ": " + d.description : ""}${d.reference ? " [" + d.reference + "]" : ""}` + t("js.overview.period");
      case "AreaConfirmed":
        return t("js.ev.confirmed", { size });
      case "AreaCancelled":
        return t("js.ev.cancelled", { size, method: d.method === "NTS" ? t("js.ev.nts") : fmt.words(d.method) }) + `${d.operator ? " (" + d.operator + ")" : ""}: ${why}${rest}` + t("js.overview.period");
      case "AreaReduced":
        return t("js.ev.reduced", { size, operator: d.operator || "–" }) + rest + t("js.overview.period");
      case "AreaCleared": {
        const found = [d.ap_mines_destroyed && t("js.ev.ap", { n: fmt.int(d.ap_mines_destroyed) }), d.at_mines_destroyed && t("js.ev.at", { n: fmt.int(d.at_mines_destroyed) }),
          d.erw_destroyed && t("js.ev.erw", { n: fmt.int(d.erw_destroyed) })].filter(Boolean).join(", ");
        return t("js.ev.cleared", { size, operator: d.operator || "–" }) + (found ? "; " + t("js.ev.destroyed", { found }) : "") + rest + t("js.overview.period");
      }
      case "AreaReclassified":
        return t("js.ev.reclassified", { from: d.from, to: d.to }) + `: ${d.reason || ""}` + t("js.overview.period");
      case "AreaRecordCorrected":
        return t("js.ev.corrected", { fields: Object.keys(d.set || {}).map(fmt.words).join(", ") }) + `: ${d.reason || ""}` + t("js.overview.period");
      case "AreaReopened":
        return t("js.ev.reopened", { to: d.to, size }) + `: ${d.reason || ""}` + t("js.overview.period");
      case "QAVisitRecorded":
        return t("js.ev.qa") + ` ${d.result}${d.operator ? " (" + d.operator + ")" : ""}${d.notes ? ": " + d.notes : ""}` + t("js.overview.period");
      case "TaskAssigned":
        return t("js.ev.tasked", { task: d.task }) + (d.operator ? " " + t("js.ev.to", { operator: d.operator }) : "") + t("js.overview.period");
      case "AccessRestricted":
        return t("js.ev.restricted", { reason: why }) + " " + (d.expected_until ? t("js.area.expected_open", { date: fmt.date(d.expected_until) }) : t("js.area.no_opening")) + t("js.overview.period");
      case "AccessRestrictionLifted":
        return t("js.ev.lifted") + (d.reason ? ": " + d.reason : "") + t("js.overview.period");
      default:
        return fmt.words(h.type) + ".";
    }
  }

  // evidenceOf collects every piece of evidence the history records.
  function evidenceOf(history) {
    const out = [];
    for (const h of history) {
      const d = h.data || {};
      if (h.type === "EvidenceRecorded") out.push(Object.assign({ via: h }, d));
      for (const e of Array.isArray(d.evidence) ? d.evidence : []) out.push(Object.assign({ via: h }, e));
    }
    return out;
  }

  const FACTS = [
    [LR.t("js.table.province"), (a) => link(LR.provinceHref(a.province), a.province)],
    [LR.t("js.area.district"), (a) => a.district], [LR.t("js.area.commune"), (a) => a.commune], [LR.t("js.area.village"), (a) => a.village],
    [LR.t("js.area.status"), (a) => el("span", { class: "badge " + String(a.status).toLowerCase(), "data-figure": "status" }, a.status)],
    [LR.t("js.area.access"), (a) => (AreaMap.restricted(a) ? el("span", null, el("span", { class: "badge restricted" }, LR.t("js.badge.restricted")), " ", restrictionText(a)) : LR.t("js.area.open"))],
    [LR.t("js.area.classification"), (a) => a.classification], [LR.t("js.table.hazard"), (a) => a.hazard], [LR.t("js.table.land_use"), (a) => fmt.words(a.land_use)],
    [LR.t("js.area.source"), (a) => a.source], [LR.t("js.area.registered_on"), (a) => fmt.date(a.registered_on)],
    [LR.t("js.area.last_activity"), (a) => fmt.date(a.last_activity_on)], [LR.t("js.area.released_on"), (a) => (a.released_on ? fmt.date(a.released_on) : null)],
    [LR.t("js.table.size"), (a) => `${fmt.m2(a.size_m2)} (${fmt.ha(a.size_m2, 2)})`],
    [LR.t("js.chart.cancelled_nts"), (a) => (a.cancelled_nts_m2 ? fmt.area(a.cancelled_nts_m2) : null)],
    [LR.t("js.chart.cancelled_desk"), (a) => (a.cancelled_desk_m2 ? fmt.area(a.cancelled_desk_m2) : null)],
    [LR.t("js.chart.reduced_ts"), (a) => (a.reduced_m2 ? fmt.area(a.reduced_m2) : null)],
    [LR.t("js.chart.cleared"), (a) => (a.cleared_m2 ? fmt.area(a.cleared_m2) : null)],
    [LR.t("js.chart.reopened"), (a) => (a.reopened_m2 ? fmt.area(a.reopened_m2) : null)],
    [LR.t("js.area.casualties"), (a) => fmt.int(a.casualties_last_5y)],
    [LR.t("js.area.community"), (a) => (a.community_request ? LR.t("js.forecast.yes") : LR.t("js.forecast.no"))],
    [LR.t("js.area.devices"), (a) => LR.t("js.area.devices_text", { ap: fmt.int(a.ap_mines_destroyed || 0), at: fmt.int(a.at_mines_destroyed || 0), erw: fmt.int(a.erw_destroyed || 0) })],
    [LR.t("js.area.last_operator"), (a) => a.last_operator],
  ];

  function render(doc) {
    area = doc.area;
    const history = doc.history || [];
    const a = area;
    const aid = a.area_id || a.id || id;
    document.title = `${LR.t("js.area.title")} ${fmt.shortID(aid)} · landrelease`;
    $("#title").replaceChildren(LR.t("js.area.title") + " ", el("span", { class: "mono" }, aid));
    $("#subtitle").textContent = [a.village, a.commune, a.district, a.province].filter(Boolean).join(", ");
    $("#area-kpis").replaceChildren(
      el("div", { class: "kpi" }, el("div", { class: "label" }, LR.t("js.table.remaining")), el("div", { class: "value" }, figure(a.remaining_m2, fmt.area, "area-remaining")), el("div", { class: "sub" }, LR.t("js.area.of", { part: fmt.m2(a.remaining_m2), whole: fmt.m2(a.size_m2) }))),
      el("div", { class: "kpi" }, el("div", { class: "label" }, LR.t("js.area.status")), el("div", { class: "value" }, el("span", { class: "badge " + String(a.status).toLowerCase() }, a.status),
        AreaMap.restricted(a) ? [" ", el("span", { class: "badge restricted", "data-figure": "restricted", title: restrictionText(a) }, LR.t("js.badge.restricted"))] : null)),
      el("div", { class: "kpi" }, el("div", { class: "label" }, LR.t("js.report.events_label")), el("div", { class: "value", "data-figure": "event-count" }, fmt.int(history.length))),
      el("div", { class: "kpi" }, el("div", { class: "label" }, LR.t("js.table.evidence")), el("div", { class: "value", "data-figure": "evidence-count" }, fmt.int(evidenceOf(history).length))),
    );
    $("#facts").replaceChildren(...FACTS.flatMap(([label, f]) => {
      const v = f(a);
      return v == null || v === "" ? [] : [el("dt", null, label), el("dd", null, v)];
    }));
    const restricted = AreaMap.restricted(a);
    const notice = $("#restricted-notice");
    notice.hidden = !restricted;
    notice.replaceChildren(...(restricted ? [el("strong", null, LR.t("js.area.access_restricted")), restrictionText(a), ". ",
      LR.t("js.area.restricted_rule"), fmt.date(a.restricted_since),
      LR.t("js.area.restricted_rule2")] : []));
    AreaMap.draw($("#map"), [{ id: aid, status: a.status, geometry: a.geometry, restricted, label: `${LR.t("js.area.title")} ${aid}${restricted ? " (" + LR.t("js.badge.restricted") + ")" : ""}` }], { title: LR.t("js.area.polygon_title"), empty: LR.t("js.area.no_polygon") });

    const ev = evidenceOf(history);
    $("#evidence").replaceChildren(ev.length ? LR.table([
      { label: LR.t("js.area.observed"), value: (e) => fmt.date(e.observed_on) },
      { label: LR.t("js.area.kind"), value: (e) => fmt.words(e.kind) },
      { label: LR.t("js.area.description"), value: (e) => e.description || "–" },
      { label: LR.t("js.area.reference"), value: (e) => e.reference || "–" },
      { label: LR.t("js.area.recorded_with"), value: (e) => `${fmt.words(e.via.type)} (${LR.t("js.live.event", { n: e.via.sequence })})` },
    ], ev) : el("p", { class: "muted" }, LR.t("js.area.no_evidence")));

    $("#history-note").textContent = `${history.length} events, oldest first. Each was recorded by the actor shown, from the command shown.`;
    $("#timeline").replaceChildren(...history.map((h) => el("li", { class: TYPE_CLASS[h.type] || null, "data-sequence": h.sequence, "data-type": h.type },
      el("div", null, el("span", { class: "when" }, fmt.date(h.occurred_on)), " · ", el("strong", null, fmt.words(h.type))),
      el("div", null, summary(h)),
      el("div", { class: "meta" }, LR.t("js.area.meta", { n: h.sequence, at: fmt.instant(h.recorded_at), actor: h.actor || "–" }) + " ", el("span", { class: "mono" }, fmt.shortID(h.command_id))),
      el("details", null, el("summary", null, LR.t("js.area.event_data")), el("pre", null, JSON.stringify(h.data, null, 2))),
    )));
    document.body.dataset.events = String(history.length);
  }

  // ---- commands -------------------------------------------------------------

  const today = () => new Date().toISOString().slice(0, 10);
  const input = (label, name, attrs, wide) => el("label", { class: wide ? "wide" : null }, label, el("input", Object.assign({ name }, attrs || {})));
  const select = (label, name, options) => el("label", null, label, el("select", { name }, options.map(([v, t]) => el("option", { value: v }, t))));

  const FORMS = [
    {
      id: "evidence", title: LR.t("js.area.record_evidence"), command: "RecordEvidence",
      fields: () => [
        select(LR.t("js.area.kind"), "kind", [["ACCIDENT", LR.t("js.area.ev.accident")], ["DEVICE_FOUND", LR.t("js.area.ev.device")], ["WITNESS", LR.t("js.area.ev.witness")], ["MILITARY_RECORD", LR.t("js.area.ev.military")], ["SURVEY", LR.t("js.area.ev.survey")], ["OTHER", LR.t("js.area.ev.other")]]),
        input(LR.t("js.area.observed_on"), "observed_on", { type: "date", value: today(), required: true }),
        input(LR.t("js.area.description"), "description", { autocomplete: "off" }, true),
        input(LR.t("js.area.reference"), "reference", { autocomplete: "off" }),
      ],
      data: (f) => ({ kind: f.kind, observed_on: f.observed_on, description: f.description || undefined, reference: f.reference || undefined }),
    },
    {
      id: "qa", title: LR.t("js.area.record_qa"), command: "RecordQAVisit",
      fields: () => [
        input(LR.t("js.area.visited_on"), "on", { type: "date", value: today(), required: true }),
        select(LR.t("js.area.result"), "result", [["PASS", LR.t("js.area.pass")], ["FAIL", LR.t("js.area.fail")]]),
        input(LR.t("js.table.operator"), "operator", { autocomplete: "off" }),
        input(LR.t("js.area.notes"), "notes", { autocomplete: "off" }, true),
      ],
      data: (f) => ({ on: f.on, result: f.result, operator: f.operator || undefined, notes: f.notes || undefined }),
    },
    {
      id: "cancel", title: LR.t("js.area.cancel_nts"), command: "CancelArea",
      fields: () => [
        input(LR.t("js.area.surveyed_on"), "on", { type: "date", value: today(), required: true }),
        input(LR.t("js.area.size_cancelled"), "size_m2", { type: "number", min: 1, step: 1 }),
        input(LR.t("js.table.operator"), "operator", { autocomplete: "off" }),
        input(LR.t("js.table.reason"), "reason", { autocomplete: "off", required: true }, true),
      ],
      data: (f) => ({ method: "NTS", on: f.on, reason: f.reason, size_m2: f.size_m2 ? Number(f.size_m2) : undefined, operator: f.operator || undefined }),
    },
  ];

  function buildForms(who) {
    const note = $("#commands-note");
    const role = who ? who.role : "";
    if (role === "analyst") {
      note.textContent = LR.t("js.area.analyst");
      $("#command-forms").replaceChildren();
      return;
    }
    note.textContent = (who ? LR.t("js.login.signed_in", { name: who.name, role }) + " " : "") +
      LR.t("js.area.who_decides");
    $("#command-forms").replaceChildren(...FORMS.map((spec) => {
      const form = el("form", { class: "command", "data-command": spec.command, id: "form-" + spec.id },
        ...spec.fields(), el("button", { type: "submit" }, spec.title));
      // An operator records its own results: its name goes in by default.
      const own = role.startsWith("operator:") ? role.slice("operator:".length) : "";
      const opField = form.querySelector('[name="operator"]');
      if (own && opField) opField.defaultValue = own;
      let commandID = LR.uuid4(); // kept until accepted, so a retry is not applied twice
      form.addEventListener("input", () => { commandID = LR.uuid4(); });
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const out = $("#command-result");
        const fields = Object.fromEntries(new FormData(form).entries());
        const data = Object.assign({ area_id: (area && (area.area_id || area.id)) || id }, spec.data(fields));
        const button = form.querySelector("button");
        button.disabled = true;
        out.hidden = false;
        out.classList.remove("error");
        out.textContent = LR.t("js.area.sending");
        try {
          const res = await LR.send(spec.command, data, commandID);
          const r = (res.results || [])[0] || {};
          out.replaceChildren(el("strong", null, `${spec.title}: ${r.status || LR.t("js.area.accepted")}`), ` (${LR.t("js.live.event", { n: fmt.int(res.sequence) })}).`);
          out.dataset.sequence = String(res.sequence);
          commandID = LR.uuid4();
          form.reset();
          for (const d of form.querySelectorAll("input[type=date]")) d.value = today();
          await load(res.sequence);
        } catch (err) {
          LR.showError(out, err);
          out.dataset.sequence = "";
        } finally {
          button.disabled = false;
        }
      });
      return el("div", null, el("h3", null, spec.title), form);
    }));
  }

  async function load(seq) {
    await LR.guarded($("#area-error"), async () => {
      if (!id) throw new Error(LR.t("js.area.no_id"));
      render(await LR.api("/api/v1/areas/" + encodeURIComponent(id), { minSequence: seq }));
      $("#area-error").hidden = true;
    });
  }

  LR.start(load).then(() => buildForms(LR.whoami));
})();
