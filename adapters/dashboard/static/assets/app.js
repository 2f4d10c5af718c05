// landrelease dashboard: what every page shares. The API client (bearer token
// from localStorage), figures formatting, the signed-in bar, live updates from
// the server-sent event stream, and small DOM helpers. No framework; no file
// here loads anything from another origin.
"use strict";

const LR = (() => {
  const TOKEN_KEY = "landrelease.token";

  // ---- API client ---------------------------------------------------------

  // APIError carries the API's error document: {"error": {kind, message, field, problems}}.
  class APIError extends Error {
    constructor(status, body) {
      const e = (body && body.error) || {};
      super(e.message || `HTTP ${status}`);
      this.status = status;
      this.kind = e.kind || "error";
      this.field = e.field || "";
      this.problems = Array.isArray(e.problems) ? e.problems : [];
    }
  }

  function token() {
    try { return localStorage.getItem(TOKEN_KEY) || ""; } catch (_) { return ""; }
  }
  function setToken(t) {
    if (t) localStorage.setItem(TOKEN_KEY, t); else localStorage.removeItem(TOKEN_KEY);
  }
  function authHeaders(extra) {
    const h = Object.assign({}, extra || {});
    const t = token();
    if (t) h["Authorization"] = "Bearer " + t;
    return h;
  }

  // api fetches path from the API and answers its JSON, or throws an APIError
  // with the API's own message. opts: method, body (sent as JSON), minSequence
  // (read-your-writes: wait until the projections applied it), raw (answer the
  // Response, for HTML and CSV).
  async function api(path, opts) {
    opts = opts || {};
    const headers = authHeaders({ "Accept": opts.raw ? "*/*" : "application/json" });
    let body;
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.body);
    }
    if (opts.minSequence) headers["Lr-Min-Sequence"] = String(opts.minSequence);
    let res;
    try {
      res = await fetch(path, { method: opts.method || "GET", headers, body, cache: "no-store" });
    } catch (err) {
      throw new APIError(0, { error: { kind: "unavailable", message: t("js.app.unreachable", { error: err.message }) } });
    }
    if (!res.ok) {
      let doc;
      try { doc = await res.json(); } catch (_) { doc = { error: { kind: "http", message: `${res.status} ${res.statusText}` } }; }
      if (res.status === 401) showSignIn(doc);
      // A server that has just started (or loaded a large history) answers
      // reads 503 with Retry-After until its read model is ready: say what
      // it is doing and ask again, so the page loads by itself.
      const after = Number(res.headers.get("Retry-After"));
      if (res.status === 503 && after > 0 && (opts.method || "GET") === "GET") {
        showWaiting(doc && doc.error ? doc.error.message : "");
        await new Promise((r) => setTimeout(r, Math.min(after, 5) * 1000));
        return api(path, opts);
      }
      throw new APIError(res.status, doc);
    }
    showWaiting("");
    return opts.raw ? res : res.json();
  }

  // showWaiting shows, above the page, why its data is not there yet (empty
  // message: hides it).
  function showWaiting(message) {
    let box = $("#read-model-waiting");
    if (!message) {
      if (box) box.remove();
      return;
    }
    if (!box) {
      box = el("div", { id: "read-model-waiting", class: "notice", role: "status" });
      const main = document.querySelector("main");
      if (main) main.prepend(box); else document.body.prepend(box);
    }
    box.textContent = message;
  }

  // send posts one command and answers the API's {"results", "sequence"}.
  function send(command, data, commandID) {
    return api("/api/v1/commands", { method: "POST", body: { command, command_id: commandID, data } });
  }

  // uuid4 makes a command ID; crypto.randomUUID exists only in secure contexts.
  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // ---- language ---------------------------------------------------------------

  // The page's language (html lang, chosen by the server) and the "js."
  // entries of its catalogue (adapters/dashboard/i18n), which the server
  // puts in the page as JSON. t(KEY, {n: 5}) answers the text with
  // {n} replaced; a missing key shows itself (a test keeps that from
  // happening).
  const LANG = document.documentElement.lang || "en";
  const CATALOGUE = (() => {
    try { return JSON.parse(document.getElementById("i18n").textContent); } catch (_) { return {}; }
  })();
  function t(key, vars) {
    let s = CATALOGUE[key];
    if (s == null) return "⟦" + key + "⟧";
    for (const [k, v] of Object.entries(vars || {})) s = s.split("{" + k + "}").join(String(v));
    return s;
  }

  // ---- formatting -----------------------------------------------------------

  // Numbers as CLDR writes them for the language (km, as en: 1,234,567 and
  // 12.5), with Western digits, as the printed outputs (i18n's package
  // comment says why).
  const LOCALE = LANG === "km" ? "km" : "en-GB";
  const int = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
  const dec = (d) => new Intl.NumberFormat(LOCALE, { minimumFractionDigits: d, maximumFractionDigits: d });
  const MONTHS = LANG === "en" ? ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    : Array.from({ length: 12 }, (_, i) => t("month." + (i + 1)));

  const fmt = {
    int: (n) => (n == null ? "–" : int.format(n)),
    km2: (m2, d) => (m2 == null ? "–" : dec(d == null ? 1 : d).format(m2 / 1e6) + " km²"),
    ha: (m2, d) => (m2 == null ? "–" : dec(d == null ? 1 : d).format(m2 / 1e4) + " ha"),
    m2: (m2) => (m2 == null ? "–" : int.format(m2) + " m²"),
    // area: the unit that reads best for the size.
    area: (m2) => {
      if (m2 == null) return "–";
      const a = Math.abs(m2);
      if (a >= 1e6) return fmt.km2(m2, 2);
      if (a >= 1e4) return fmt.ha(m2, 1);
      return fmt.m2(m2);
    },
    usd: (n) => (n == null ? "–" : "US$ " + int.format(n)),
    pct: (x, d) => (x == null ? "–" : dec(d == null ? 0 : d).format(x * 100) + "%"),
    dec2: (x) => dec(2).format(x),
    // date turns YYYY-MM-DD into "16 Dec 2021" (no time zone involved).
    date: (s) => {
      if (!s) return "–";
      const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
      return m ? `${+m[3]} ${MONTHS[+m[2] - 1]} ${m[1]}` : s;
    },
    instant: (s) => (s ? s.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC") : "–"),
    shortID: (id) => (id ? String(id).slice(-12) : "–"),
    // method names a clearance or cancellation method.
    method: (m) => ({ MDD: t("js.method.MDD"), NTS: "NTS", TS: "TS", MIXED: t("js.method.MIXED"), MANUAL: t("js.method.MANUAL"), MECHANICAL: t("js.method.MECHANICAL"), DESK_ANALYSIS: t("js.method.DESK_ANALYSIS") }[m] || fmt.words(m)),
    // words turns AreaRegistered or NO_EVIDENCE into readable words.
    words: (s) => String(s || "").replace(/_/g, " ").replace(/([a-z])([A-Z])/g, "$1 $2").replace(/^QAVisit/, "QA visit").replace(/\b(?!QA\b)([A-Za-z]+)/g, (w) => w.toLowerCase()),
  };

  // fractionalYear turns YYYY-MM-DD into a year with the day as a fraction.
  function fractionalYear(s) {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s || "");
    if (!m) return null;
    const y = +m[1];
    const start = Date.UTC(y, 0, 1), end = Date.UTC(y + 1, 0, 1);
    return y + (Date.UTC(y, +m[2] - 1, +m[3]) - start) / (end - start);
  }

  // ---- DOM helpers ----------------------------------------------------------

  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  // el builds an element: el("td", {class: "num", "data-m2": 5}, "text", child...).
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c == null) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  // figure is a number shown formatted, with its raw value kept in an
  // attribute so that tests and scripts read the exact figure.
  function figure(m2, format, name) {
    return el("span", { class: "figure", "data-m2": m2, "data-figure": name || null, title: m2 == null ? null : fmt.m2(m2) }, (format || fmt.km2)(m2));
  }

  // table builds a table from column specs {label, value(row) -> Node|string, num};
  // rowAttrs(row), when given, answers each row's attributes.
  function table(columns, rows, attrs, rowAttrs) {
    const cls = (c) => (c.num ? "num" : c.date ? "date" : null);
    const thead = el("thead", null, el("tr", null, columns.map((c) => el("th", { class: cls(c), scope: "col" }, c.label))));
    const tbody = el("tbody", null, rows.map((r) => el("tr", rowAttrs ? rowAttrs(r) : null, columns.map((c) => el("td", { class: cls(c) }, c.value(r))))));
    return el("div", { class: "table-wrap" }, el("table", attrs || null, thead, tbody));
  }

  function link(href, text, attrs) {
    return el("a", Object.assign({ href }, attrs || {}), text);
  }
  const areaHref = (id) => "/area.html?id=" + encodeURIComponent(id);
  const provinceHref = (p, year) => "/province.html?province=" + encodeURIComponent(p) + (year ? "&year=" + year : "");

  // showError puts an API error (message, field and problems) into box.
  function showError(box, err) {
    box.replaceChildren();
    box.hidden = false;
    box.classList.add("error");
    box.append(el("strong", null, err.status ? t("js.app.refused", { status: err.status, kind: err.kind }) + " " : t("js.app.error") + " "), err.message);
    if (err.field) box.append(el("div", null, t("js.app.field") + " ", el("code", null, err.field)));
    if (err.problems && err.problems.length) {
      box.append(el("ul", null, err.problems.map((p) => el("li", null, el("code", null, p.field || ""), " ", p.reason || ""))));
    }
  }

  // load runs fn and shows its failure in the element box instead of throwing.
  async function guarded(box, fn) {
    try {
      box.classList.remove("error");
      await fn();
    } catch (err) {
      console.error(err);
      showError(box, err instanceof APIError ? err : new APIError(0, { error: { message: err.message } }));
    }
  }

  function param(name) {
    return new URLSearchParams(location.search).get(name) || "";
  }

  // ---- who is signed in -------------------------------------------------------

  let whoami = null;

  function showSignIn(doc) {
    const bar = $("#signin-needed");
    if (!bar) return;
    const msg = (doc && doc.error && doc.error.message) || t("js.app.token_needed");
    bar.replaceChildren(msg + " ", link("/login.html?next=" + encodeURIComponent(location.pathname + location.search), t("js.app.sign_in_token")));
    bar.hidden = false;
  }

  async function loadWhoami() {
    const box = $("#whoami");
    try {
      whoami = await api("/api/v1/whoami");
      if (box) box.replaceChildren(el("span", { class: "who", "data-role": whoami.role }, `${whoami.name} · ${whoami.role}`), " ", token() ? link("/login.html?signout=1", "Sign out") : "");
    } catch (err) {
      whoami = null;
      if (box) box.replaceChildren(link("/login.html?next=" + encodeURIComponent(location.pathname + location.search), t("js.app.sign_in")));
    }
    return whoami;
  }

  // ---- live updates ------------------------------------------------------------
  //
  // The page follows GET /api/v1/stream (server-sent events) read with fetch()
  // and a stream reader, so the Authorization header goes with it (EventSource
  // cannot send one). When the stream cannot be had, it polls GET
  // /api/v1/health every 5 s and tries the stream again every 30 s. Either way
  // a sequence beyond the last one seen calls the page's refresh, at most
  // about once a second.

  let lastSequence = 0;
  let refresh = null;
  let refreshTimer = null;
  let refreshing = false;

  function setLive(state, seq) {
    const box = $("#live");
    if (!box) return;
    box.dataset.state = state;
    box.dataset.sequence = String(seq || lastSequence);
    box.textContent = { stream: t("js.live.stream"), poll: t("js.live.poll"), offline: t("js.live.offline"), connecting: t("js.live.connecting") }[state] + (lastSequence ? " · " + t("js.live.event", { n: fmt.int(lastSequence) }) : "");
  }

  function sawSequence(seq, state) {
    if (!(seq > lastSequence)) { setLive(state); return; }
    const first = lastSequence === 0;
    lastSequence = seq;
    setLive(state);
    if (!first && refresh) scheduleRefresh();
  }

  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(async () => {
      refreshTimer = null;
      if (refreshing) { scheduleRefresh(); return; }
      refreshing = true;
      try { await refresh(lastSequence); } finally { refreshing = false; }
    }, 250);
  }

  // The stream is closed when the page is left: an open fetch would hold one
  // of the browser's few connections to the server after the page is gone.
  let streamAbort = null;
  window.addEventListener("pagehide", () => { if (streamAbort) streamAbort.abort(); });
  window.addEventListener("pageshow", (ev) => { if (ev.persisted && refresh) scheduleRefresh(); });

  async function followStream() {
    streamAbort = new AbortController();
    const res = await fetch("/api/v1/stream", { headers: authHeaders({ "Accept": "text/event-stream" }), cache: "no-store", signal: streamAbort.signal });
    if (!res.ok || !res.body) throw new Error("stream: HTTP " + res.status);
    setLive("stream");
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error("stream ended");
      buf += value.replace(/\r\n?/g, "\n");
      let cut;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        let event = "message", data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data += line.slice(5).trim();
        }
        if (event === "sequence" && data) {
          try { sawSequence(JSON.parse(data).sequence, "stream"); } catch (_) { /* a malformed event is skipped */ }
        }
      }
    }
  }

  // showBackup shows the scheduled backups of serve --backup-every: the age
  // of the last good one, and a warning when the last attempt failed.
  function showBackup(b) {
    const box = $("#backup");
    if (!box || !b) return;
    box.hidden = false;
    const good = b.last_good;
    let text = good ? t("js.app.last_backup", { at: fmt.instant(good.at) }) : t("js.app.no_backup");
    if (b.last_error) text += " · " + t("js.app.backup_failed");
    box.textContent = text;
    box.dataset.state = b.last_error ? "failed" : good ? "ok" : "none";
    box.title = (good ? `last good backup ${good.file} at ${good.at}` + (good.events ? `, ${fmt.int(good.events)} events` : "") : "no backup taken yet") +
      (b.last_error ? `\nlast attempt failed: ${b.last_error}` : "") + `\nnext due ${b.next}`;
  }

  async function pollHealth() {
    try {
      const h = await fetch("/api/v1/health", { cache: "no-store" }).then((r) => r.json());
      showBackup(h.backup);
      sawSequence(h.projected || h.sequence, "poll");
    } catch (_) {
      setLive("offline");
    }
  }

  async function live() {
    setLive("connecting");
    await pollHealth(); // the baseline, before the page loads its data
    // A scheduled backup writes no event: while the stream is up nothing
    // else would refresh the backup status of a page left open.
    setInterval(async () => {
      try {
        showBackup((await fetch("/api/v1/health", { cache: "no-store" }).then((r) => r.json())).backup);
      } catch (_) { /* the stream's loop reports the server offline */ }
    }, 60000);
    (async () => {
      for (;;) {
        try {
          await followStream();
        } catch (err) {
          // Poll while the stream is away; try it again after 30 s.
          const until = Date.now() + 30000;
          while (Date.now() < until) {
            await pollHealth();
            await new Promise((r) => setTimeout(r, 5000));
          }
        }
      }
    })();
  }

  // start runs a page: signed-in bar, live updates, then the page's load
  // function, which is called again (with the new sequence) when events arrive.
  // A provincial office (docs/operations.md, "Provincial office"): the
  // time of the last sync and its commands, on every page.
  async function loadSync() {
    const box = $("#sync");
    if (!box) return;
    try {
      const h = await fetch("/api/v1/health", { cache: "no-store" }).then((r) => r.json());
      const o = h.office;
      if (!o) return;
      const last = o.last_sync ? new Date(o.last_sync).toLocaleString(LOCALE) : t("js.app.not_since_start");
      const refused = (o.commands || []).filter((c) => c.status !== "pending");
      box.replaceChildren(el("span", { class: "sync", "data-link": o.link_up ? "up" : "down",
        title: refused.map((c) => `${c.command} ${c.command_id}: ${c.reason}`).join("\n") },
        t("js.app.office", { office: o.office, link: o.link_up ? t("js.app.link_up") : t("js.app.link_down"), last, pending: o.pending, applied: o.applied, refused: o.refused_after_sync })), " ");
    } catch (_) {
      /* the live indicator says when the server is away */
    }
  }

  async function start(load) {
    refresh = load;
    markNav();
    loadSync();
    setInterval(loadSync, 30000);
    await Promise.all([loadWhoami(), live()]);
    await load(0);
  }

  function markNav() {
    const page = document.body.dataset.page;
    for (const a of $$("nav.top a")) {
      if (a.dataset.page === page) a.setAttribute("aria-current", "page");
    }
    // The language switch keeps the page's query (province, year, ...).
    for (const a of $$("nav.lang a")) {
      const q = new URLSearchParams(location.search);
      q.set("lang", a.hreflang);
      a.href = location.pathname + "?" + q.toString();
    }
  }

  // Charts are drawn for the screen: redraw them at paper size when printing,
  // and open every <details> so that the printed page has the figures.
  let closedDetails = [];
  window.addEventListener("beforeprint", () => {
    closedDetails = $$("details:not([open])");
    for (const d of closedDetails) d.open = true;
    if (window.Chart) for (const c of Object.values(Chart.instances)) c.resize();
  });
  window.addEventListener("afterprint", () => {
    for (const d of closedDetails) d.open = false;
    closedDetails = [];
    if (window.Chart) for (const c of Object.values(Chart.instances)) c.resize();
  });

  return {
    APIError, api, send, uuid4, token, setToken, fmt, fractionalYear, t, lang: LANG,
    $, $$, el, figure, table, link, areaHref, provinceHref, showError, guarded, param,
    start, loadWhoami, get whoami() { return whoami; }, get sequence() { return lastSequence; },
  };
})();
