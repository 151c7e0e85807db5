// Console behaviour: "/" focuses the search box, "复制答复" fetches the ready
// answer and copies it, admin forms with data-confirm ask first.
(function () {
  "use strict";

  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
    var q = document.getElementById("q");
    if (!q) return;
    e.preventDefault();
    q.focus();
    q.select();
  });

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-HTTP deployments have no async clipboard: fall back to a selection copy.
    return new Promise(function (resolve, reject) {
      var ta = document.createElement("textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.style.position = "fixed";
      ta.style.opacity = "0";
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
      document.body.removeChild(ta);
      if (ok) { resolve(); } else { reject(new Error("copy failed")); }
    });
  }

  var btn = document.getElementById("copy-answer");
  if (btn) {
    btn.addEventListener("click", function () {
      var status = document.getElementById("copy-status");
      var box = document.getElementById("answer-text");
      var url = "/console/answer?q=" + encodeURIComponent(btn.dataset.q || "") +
        "&region=" + encodeURIComponent(btn.dataset.region || "") +
        "&status=" + encodeURIComponent(btn.dataset.status || "") +
        "&as_of=" + encodeURIComponent(btn.dataset.asOf || "");
      btn.disabled = true;
      status.textContent = "正在生成答复…";
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) {
          return r.text().then(function (t) {
            if (!r.ok) throw new Error(t || ("HTTP " + r.status));
            return t;
          });
        })
        .then(function (text) {
          // The copied text is also shown, so the agent can read it out or fix it by hand.
          box.value = text;
          box.hidden = false;
          box.rows = Math.min(16, text.split("\n").length + 1);
          return copyText(text).then(
            function () { status.textContent = "已复制答复"; },
            function () { status.textContent = "无法自动复制，请在下方手动复制"; box.select(); });
        })
        .catch(function (err) { status.textContent = "生成答复失败：" + err.message; })
        .finally(function () { btn.disabled = false; });
    });
  }

  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.dataset.confirm)) e.preventDefault();
    });
  });
})();
