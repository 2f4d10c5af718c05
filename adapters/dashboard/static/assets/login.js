// Sign in: keeps the API token in this browser's localStorage, checked with
// GET /api/v1/whoami before it is kept.
"use strict";

(() => {
  const { $ } = LR;
  const out = $("#login-result");

  function done(text) {
    out.hidden = false;
    out.classList.remove("error");
    out.textContent = text;
  }

  function next() {
    const n = LR.param("next");
    return n.startsWith("/") && !n.startsWith("//") ? n : "/";
  }

  $("#login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const previous = LR.token();
    LR.setToken($("#token").value.trim());
    try {
      const who = await LR.api("/api/v1/whoami");
      done(LR.t("js.login.signed_in", { name: who.name, role: who.role }));
      location.assign(next());
    } catch (err) {
      LR.setToken(previous);
      LR.showError(out, err);
    }
  });
  $("#signout").addEventListener("click", async () => {
    LR.setToken("");
    $("#token").value = "";
    done(LR.t("js.login.signed_out"));
    await LR.loadWhoami();
  });

  if (LR.param("signout")) {
    LR.setToken("");
    done(LR.t("js.login.signed_out"));
  }
  LR.start(async () => {});
})();
