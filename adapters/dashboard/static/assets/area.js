// Area page: GET /api/v1/areas/{id} (the area and its full history), the
// polygon, the evidence, a timeline, and forms that send RecordEvidence,
// RecordQAVisit and CancelArea (NTS) through POST /api/v1/commands.
"use strict";

(() => {
  const { el, fmt, figure, link, $ } = LR;
  const id = LR.param("id");
  let area = null;

  const TYPE_CLASS = {
    AreaCancelled: "released", AreaReduced: "released", AreaCleared: "released",
    EvidenceRecorded: "evidence", QAVisitRecorded: "qa", AccessRestricted: "restricted", AccessRestrictionLifted: "restricted",
  };

  // restrictionText says since when, why and until when access is
  // restricted (the area document's restricted_* fields).
  const restrictionText = (a) => `since ${fmt.date(a.restricted_since)}: ${a.restriction_reason || "no reason given"}; ` +
    (a.restricted_until ? `expected to open ${fmt.date(a.restricted_until)}` : "no expected opening date");

  // summary answers the facts of one history entry in a sentence.
  function summary(h) {
    const d = h.data || {};
    const size = d.size_m2 != null ? fmt.area(d.size_m2) : "";
    const rest = d.remaining_m2 != null ? ` (${fmt.area(d.remaining_m2)} remaining)` : "";
    switch (h.type) {
      case "AreaRegistered":
        return `Registered as ${d.classification || "SHA"} of ${size} in ${[d.village, d.commune, d.district, d.province].filter(Boolean).join(", ")} (source ${d.source || "–"}, hazard ${d.hazard || "–"}).`;
      case "EvidenceRecorded":
        return `Evidence: ${fmt.words(d.kind)} observed ${fmt.date(d.observed_on)}${d.description ? ": " + d.description : ""}${d.reference ? " [" + d.reference + "]" : ""}.`;
      case "AreaConfirmed":
        return `Confirmed hazardous (CHA) at ${size}.`;
      case "AreaCancelled":
        return `${size} cancelled by ${d.method === "NTS" ? "non-technical survey" : fmt.words(d.method)}${d.operator ? " (" + d.operator + ")" : ""}: ${d.reason || "no reason given"}${rest}.`;
      case "AreaReduced":
        return `${size} reduced by technical survey (${d.operator || "–"})${rest}.`;
      case "AreaCleared": {
        const found = [d.ap_mines_destroyed && `${d.ap_mines_destroyed} AP mines`, d.at_mines_destroyed && `${d.at_mines_destroyed} AT mines`, d.erw_destroyed && `${d.erw_destroyed} ERW`].filter(Boolean).join(", ");
        return `${size} cleared by ${d.operator || "–"}${found ? "; destroyed " + found : ""}${rest}.`;
      }
      case "AreaReclassified":
        return `Reclassified ${d.from} → ${d.to}: ${d.reason || ""}.`;
      case "AreaRecordCorrected":
        return `Record corrected (${Object.keys(d.set || {}).map(fmt.words).join(", ")}): ${d.reason || ""}.`;
      case "AreaReopened":
        return `Reopened as ${d.to} with ${size}: ${d.reason || ""}.`;
      case "QAVisitRecorded":
        return `QA visit: ${d.result}${d.operator ? " (" + d.operator + ")" : ""}${d.notes ? ": " + d.notes : ""}.`;
      case "TaskAssigned":
        return `Tasked for ${d.task}${d.operator ? " to " + d.operator : ""}.`;
      case "AccessRestricted":
        return `Access restricted: ${d.reason || "no reason given"}; ${d.expected_until ? "expected to open " + fmt.date(d.expected_until) : "no expected opening date"}.`;
      case "AccessRestrictionLifted":
        return `Access restriction lifted${d.reason ? ": " + d.reason : ""}.`;
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
    ["Province", (a) => link(LR.provinceHref(a.province), a.province)],
    ["District", (a) => a.district], ["Commune", (a) => a.commune], ["Village", (a) => a.village],
    ["Status", (a) => el("span", { class: "badge " + String(a.status).toLowerCase(), "data-figure": "status" }, a.status)],
    ["Access", (a) => (AreaMap.restricted(a) ? el("span", null, el("span", { class: "badge restricted" }, "access-restricted"), " ", restrictionText(a)) : "open")],
    ["Classification", (a) => a.classification], ["Hazard", (a) => a.hazard], ["Land use", (a) => fmt.words(a.land_use)],
    ["Source", (a) => a.source], ["Registered on", (a) => fmt.date(a.registered_on)],
    ["Last activity", (a) => fmt.date(a.last_activity_on)], ["Released on", (a) => (a.released_on ? fmt.date(a.released_on) : null)],
    ["Size", (a) => `${fmt.m2(a.size_m2)} (${fmt.ha(a.size_m2, 2)})`],
    ["Cancelled by NTS", (a) => (a.cancelled_nts_m2 ? fmt.area(a.cancelled_nts_m2) : null)],
    ["Cancelled by desk analysis", (a) => (a.cancelled_desk_m2 ? fmt.area(a.cancelled_desk_m2) : null)],
    ["Reduced by TS", (a) => (a.reduced_m2 ? fmt.area(a.reduced_m2) : null)],
    ["Cleared", (a) => (a.cleared_m2 ? fmt.area(a.cleared_m2) : null)],
    ["Reopened", (a) => (a.reopened_m2 ? fmt.area(a.reopened_m2) : null)],
    ["Casualties (last 5 years)", (a) => fmt.int(a.casualties_last_5y)],
    ["Community request", (a) => (a.community_request ? "yes" : "no")],
    ["Devices destroyed", (a) => `${fmt.int(a.ap_mines_destroyed || 0)} AP, ${fmt.int(a.at_mines_destroyed || 0)} AT, ${fmt.int(a.erw_destroyed || 0)} ERW`],
    ["Last operator", (a) => a.last_operator],
  ];

  function render(doc) {
    area = doc.area;
    const history = doc.history || [];
    const a = area;
    const aid = a.area_id || a.id || id;
    document.title = `Area ${fmt.shortID(aid)} · landrelease`;
    $("#title").replaceChildren("Area ", el("span", { class: "mono" }, aid));
    $("#subtitle").textContent = [a.village, a.commune, a.district, a.province].filter(Boolean).join(", ");
    $("#area-kpis").replaceChildren(
      el("div", { class: "kpi" }, el("div", { class: "label" }, "Remaining"), el("div", { class: "value" }, figure(a.remaining_m2, fmt.area, "area-remaining")), el("div", { class: "sub" }, `${fmt.m2(a.remaining_m2)} of ${fmt.m2(a.size_m2)}`)),
      el("div", { class: "kpi" }, el("div", { class: "label" }, "Status"), el("div", { class: "value" }, el("span", { class: "badge " + String(a.status).toLowerCase() }, a.status),
        AreaMap.restricted(a) ? [" ", el("span", { class: "badge restricted", "data-figure": "restricted", title: restrictionText(a) }, "access-restricted")] : null)),
      el("div", { class: "kpi" }, el("div", { class: "label" }, "Events"), el("div", { class: "value", "data-figure": "event-count" }, fmt.int(history.length))),
      el("div", { class: "kpi" }, el("div", { class: "label" }, "Evidence"), el("div", { class: "value", "data-figure": "evidence-count" }, fmt.int(evidenceOf(history).length))),
    );
    $("#facts").replaceChildren(...FACTS.flatMap(([label, f]) => {
      const v = f(a);
      return v == null || v === "" ? [] : [el("dt", null, label), el("dd", null, v)];
    }));
    const restricted = AreaMap.restricted(a);
    const notice = $("#restricted-notice");
    notice.hidden = !restricted;
    notice.replaceChildren(...(restricted ? [el("strong", null, "Access restricted "), restrictionText(a), ". ",
      "Work plans leave the area out, and survey, clearance, QA visits and task orders dated from ", fmt.date(a.restricted_since),
      " are refused until LiftAccessRestriction is recorded; evidence, desk analysis and reclassification on evidence are still recorded."] : []));
    AreaMap.draw($("#map"), [{ id: aid, status: a.status, geometry: a.geometry, restricted, label: `area ${aid}${restricted ? " (access-restricted)" : ""}` }], { title: "polygon of the area", empty: "No polygon is recorded for this area." });

    const ev = evidenceOf(history);
    $("#evidence").replaceChildren(ev.length ? LR.table([
      { label: "Observed", value: (e) => fmt.date(e.observed_on) },
      { label: "Kind", value: (e) => fmt.words(e.kind) },
      { label: "Description", value: (e) => e.description || "–" },
      { label: "Reference", value: (e) => e.reference || "–" },
      { label: "Recorded with", value: (e) => `${fmt.words(e.via.type)} (event ${e.via.sequence})` },
    ], ev) : el("p", { class: "muted" }, "No evidence recorded: a candidate for non-technical survey."));

    $("#history-note").textContent = `${history.length} events, oldest first. Each was recorded by the actor shown, from the command shown.`;
    $("#timeline").replaceChildren(...history.map((h) => el("li", { class: TYPE_CLASS[h.type] || null, "data-sequence": h.sequence, "data-type": h.type },
      el("div", null, el("span", { class: "when" }, fmt.date(h.occurred_on)), " · ", el("strong", null, fmt.words(h.type))),
      el("div", null, summary(h)),
      el("div", { class: "meta" }, `event ${h.sequence} · recorded ${fmt.instant(h.recorded_at)} by ${h.actor || "–"} · command `, el("span", { class: "mono" }, fmt.shortID(h.command_id))),
      el("details", null, el("summary", null, "Event data"), el("pre", null, JSON.stringify(h.data, null, 2))),
    )));
    document.body.dataset.events = String(history.length);
  }

  // ---- commands -------------------------------------------------------------

  const today = () => new Date().toISOString().slice(0, 10);
  const input = (label, name, attrs, wide) => el("label", { class: wide ? "wide" : null }, label, el("input", Object.assign({ name }, attrs || {})));
  const select = (label, name, options) => el("label", null, label, el("select", { name }, options.map(([v, t]) => el("option", { value: v }, t))));

  const FORMS = [
    {
      id: "evidence", title: "Record evidence", command: "RecordEvidence",
      fields: () => [
        select("Kind", "kind", [["ACCIDENT", "accident"], ["DEVICE_FOUND", "device found"], ["WITNESS", "witness"], ["MILITARY_RECORD", "military record"], ["SURVEY", "survey"], ["OTHER", "other"]]),
        input("Observed on", "observed_on", { type: "date", value: today(), required: true }),
        input("Description", "description", { autocomplete: "off" }, true),
        input("Reference", "reference", { autocomplete: "off" }),
      ],
      data: (f) => ({ kind: f.kind, observed_on: f.observed_on, description: f.description || undefined, reference: f.reference || undefined }),
    },
    {
      id: "qa", title: "Record a QA visit", command: "RecordQAVisit",
      fields: () => [
        input("Visited on", "on", { type: "date", value: today(), required: true }),
        select("Result", "result", [["PASS", "pass"], ["FAIL", "fail"]]),
        input("Operator", "operator", { autocomplete: "off" }),
        input("Notes", "notes", { autocomplete: "off" }, true),
      ],
      data: (f) => ({ on: f.on, result: f.result, operator: f.operator || undefined, notes: f.notes || undefined }),
    },
    {
      id: "cancel", title: "Cancel by non-technical survey", command: "CancelArea",
      fields: () => [
        input("Surveyed on", "on", { type: "date", value: today(), required: true }),
        input("Area cancelled (m², empty: all remaining)", "size_m2", { type: "number", min: 1, step: 1 }),
        input("Operator", "operator", { autocomplete: "off" }),
        input("Reason", "reason", { autocomplete: "off", required: true }, true),
      ],
      data: (f) => ({ method: "NTS", on: f.on, reason: f.reason, size_m2: f.size_m2 ? Number(f.size_m2) : undefined, operator: f.operator || undefined }),
    },
  ];

  function buildForms(who) {
    const note = $("#commands-note");
    const role = who ? who.role : "";
    if (role === "analyst") {
      note.textContent = "Your role (analyst) reads everything but sends no command.";
      $("#command-forms").replaceChildren();
      return;
    }
    note.textContent = (who ? `Signed in as ${who.name} (${role}). ` : "") +
      "The API decides who may record what: a MAPU for its own province, an operator for areas tasked to it. A refusal is shown with its reason.";
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
        out.textContent = "Sending…";
        try {
          const res = await LR.send(spec.command, data, commandID);
          const r = (res.results || [])[0] || {};
          out.replaceChildren(el("strong", null, `${spec.title}: ${r.status || "accepted"}`), ` (event ${fmt.int(res.sequence)}).`);
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
      if (!id) throw new Error("No area given: open an area from a work plan, the audit trail or the map.");
      render(await LR.api("/api/v1/areas/" + encodeURIComponent(id), { minSequence: seq }));
      $("#area-error").hidden = true;
    });
  }

  LR.start(load).then(() => buildForms(LR.whoami));
})();
