// Console behaviour, for agents working from the keyboard:
//   search page: "/" focuses the search box; j/k or ↓/↑ move between results
//   (↓ from the box goes to the first); Enter opens the selected result; c
//   copies the ready answer ("复制答复"); the page keeps its scroll position
//   and selection, so coming back from a clause finds it as it was left.
//   clause page: the page scrolls to the cited clause; p/n or ←/→ open the
//   clause before or after; c copies the ready answer, o the clause's text
//   with its citation ("复制原文"); Esc goes back to the search.
// Admin forms with data-confirm ask first.
(function () {
  "use strict";

  function typing(t) {
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

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

  var status = document.getElementById("copy-status");
  var box = document.getElementById("answer-text");

  // show puts the copied text on the page too, so the agent can read it out or fix it by hand.
  function show(text) {
    box.value = text;
    box.hidden = false;
    box.rows = Math.min(16, text.split("\n").length + 1);
  }

  function copyShown(text, done) {
    show(text);
    return copyText(text).then(
      function () { status.textContent = done; },
      function () { status.textContent = "无法自动复制，请在下方手动复制"; box.select(); });
  }

  var btn = document.getElementById("copy-answer");
  if (btn) {
    btn.addEventListener("click", function () {
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
        .then(function (text) { return copyShown(text, "已复制答复"); })
        .catch(function (err) { status.textContent = "生成答复失败：" + err.message; })
        .finally(function () { btn.disabled = false; });
    });
  }

  var clauseBtn = document.getElementById("copy-clause");
  if (clauseBtn) {
    clauseBtn.addEventListener("click", function () { copyShown(clauseBtn.dataset.text || "", "已复制原文"); });
  }

  // Search results: one selected at a time.
  var hits = Array.prototype.slice.call(document.querySelectorAll(".hit"));
  var sel = -1;
  var stateKey = "pb-search:" + location.search;

  function select(i, scroll) {
    if (!hits.length) return;
    i = Math.max(0, Math.min(hits.length - 1, i));
    if (sel >= 0) hits[sel].classList.remove("selected");
    sel = i;
    hits[sel].classList.add("selected");
    var a = hits[sel].querySelector("a.open");
    if (a) a.focus({ preventScroll: true });
    if (scroll) hits[sel].scrollIntoView({ block: "nearest" });
  }

  function remember() {
    try {
      sessionStorage.setItem(stateKey, JSON.stringify({ y: window.scrollY, sel: sel }));
    } catch (err) { /* storage off: coming back starts at the top */ }
  }

  if (hits.length) {
    hits.forEach(function (h, i) {
      var a = h.querySelector("a.open");
      if (a) {
        a.addEventListener("focus", function () { if (sel !== i) select(i, false); });
        a.addEventListener("click", remember);
      }
    });
    window.addEventListener("pagehide", remember);
    var saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(stateKey) || "null"); } catch (err) { saved = null; }
    if (saved && saved.sel >= 0) {
      select(saved.sel, false);
      window.scrollTo(0, saved.y || 0);
    }
  }

  // The clause page opens at the cited clause.
  var current = document.querySelector(".fulltext .clause.current");
  if (current) current.scrollIntoView({ block: "center" });

  function follow(id) {
    var a = document.getElementById(id);
    if (a && a.href) location.href = a.href;
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (e.key === "Escape" && current) {
      e.preventDefault();
      follow("back");
      return;
    }
    if (typing(t)) {
      // ↓ from the search box goes to the first result.
      if (e.key === "ArrowDown" && t.id === "q" && hits.length) {
        e.preventDefault();
        select(0, true);
      }
      return;
    }
    switch (e.key) {
      case "/": {
        var q = document.getElementById("q");
        if (!q) return;
        e.preventDefault();
        q.focus();
        q.select();
        return;
      }
      case "j": case "ArrowDown":
        if (!hits.length) return;
        e.preventDefault();
        select(sel + 1, true);
        return;
      case "k": case "ArrowUp":
        if (!hits.length) return;
        e.preventDefault();
        select(sel - 1, true);
        return;
      case "Enter":
        if (sel >= 0 && t === document.body) {
          e.preventDefault();
          remember();
          var a = hits[sel].querySelector("a.open");
          if (a) location.href = a.href;
        }
        return;
      case "c":
        if (btn) { e.preventDefault(); btn.click(); }
        return;
      case "o":
        if (clauseBtn) { e.preventDefault(); clauseBtn.click(); }
        return;
      case "n": case "ArrowRight":
        if (current) { e.preventDefault(); follow("next"); }
        return;
      case "p": case "ArrowLeft":
        if (current) { e.preventDefault(); follow("prev"); }
        return;
    }
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.dataset.confirm)) e.preventDefault();
    });
  });
})();
