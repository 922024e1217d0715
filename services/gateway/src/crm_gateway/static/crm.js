/* CRM web UI: the F2 action palette (A1, A2), the unread-messages badge and live toasts (SSE). Plain JS.
   No page has inline script (the Content-Security-Policy allows scripts from /static only): pages hand data
   over in <script type="application/json"> blocks and data-* attributes, read here. */
(function () {
  "use strict";

  var crm = (window.crm = window.crm || {});

  /* Data a page states as JSON (not executed, so allowed by the CSP); {} when absent or broken. */
  crm.pageData = function (id) {
    var el = document.getElementById(id);
    if (!el) return {};
    try { return JSON.parse(el.textContent || "{}") || {}; } catch (e) { return {}; }
  };

  /* JSON text that may be empty or not JSON at all (an SSE keep-alive, a proxy's error page): null then. */
  crm.parseJson = function (text) {
    if (!text) return null;
    try { return JSON.parse(text); } catch (e) { return null; }
  };
  /* The JSON body of a fetch answer; null when it is empty or not JSON (never a "Unexpected end of JSON input"). */
  crm.readJson = function (response) {
    return response.text().then(crm.parseJson, function () { return null; });
  };

  /* CSRF: the session's token from <meta name="csrf-token">; crm.fetch sends it on every write
     (the gateway refuses cookie-authenticated /api writes without it, and without a JSON or multipart body). */
  crm.csrfToken = function () {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") || "" : "";
  };
  crm.fetch = function (url, options) {
    var opts = Object.assign({credentials: "same-origin"}, options || {});
    var method = (opts.method || "GET").toUpperCase();
    if (method !== "GET" && method !== "HEAD") {
      var headers = new Headers(opts.headers || {});
      headers.set("X-CSRF-Token", crm.csrfToken());
      opts.headers = headers;
    }
    return fetch(url, opts);
  };

  /* Small behaviours pages ask for with attributes instead of inline handlers. */
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) el.form.submit();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var pattern = form && form.getAttribute && form.getAttribute("data-action-pattern");
    if (!pattern) return;
    form.action = pattern.replace(/\{(\w+)\}/g, function (_, name) {
      return encodeURIComponent(form.elements[name] ? form.elements[name].value : "");
    });
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-history-back]");
    if (link && window.history.length > 1) { event.preventDefault(); window.history.back(); }
  });
  /* A page waiting for something asked of a service (a document being generated) shows [data-reload-in] and
     reloads itself after that many seconds, until the answer is there. location.reload keeps the #fragment and
     the scroll; a <meta refresh> on an address with a fragment does nothing in Chromium (a jump within the page). */
  var waiting = document.querySelector("[data-reload-in]");
  if (waiting) {
    setTimeout(function () { location.reload(); }, 1000 * (Number(waiting.getAttribute("data-reload-in")) || 3));
  }

  /* A2: a page states its context; the palette passes it on as query parameters.
     Either <script type="application/json" id="crm-context">{...}</script>, or `crm.setContext({...})`. */
  crm.setContext = function (context) {
    window.crmContext = Object.assign({}, window.crmContext || {}, context || {});
  };
  crm.setContext(crm.pageData("crm-context"));
  crm.contextParams = function () {
    var params = new URLSearchParams();
    var ctx = window.crmContext || {};
    Object.keys(ctx).forEach(function (key) {
      var value = ctx[key];
      if (value !== null && value !== undefined && value !== "") params.set(key, String(value));
    });
    return params;
  };
  crm.withContext = function (url) {
    var params = crm.contextParams();
    var text = params.toString();
    if (!text) return url;
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + text;
  };

  /* ---- the F2 palette ---- */
  var palette = document.getElementById("palette");
  var filter = document.getElementById("palette-filter");
  var list = document.getElementById("palette-actions");
  var frameBox = document.getElementById("palette-frame-box");
  var frame = document.getElementById("palette-frame");
  var frameTitle = document.getElementById("palette-frame-title");
  var frameOpen = document.getElementById("palette-frame-open");

  function entries() {
    return Array.prototype.slice.call(list.querySelectorAll("li"));
  }
  function visibleEntries() {
    return entries().filter(function (li) { return !li.hidden; });
  }
  function select(index) {
    var shown = visibleEntries();
    entries().forEach(function (li) { li.classList.remove("selected"); });
    if (shown.length) shown[Math.max(0, Math.min(index, shown.length - 1))].classList.add("selected");
  }
  function selectedIndex() {
    return visibleEntries().findIndex(function (li) { return li.classList.contains("selected"); });
  }

  crm.openPalette = function () {
    if (!palette) return;
    palette.hidden = false;
    frameBox.hidden = true;
    list.hidden = false;
    frame.removeAttribute("src");
    filter.value = "";
    entries().forEach(function (li) { li.hidden = false; });
    select(0);
    filter.focus();
  };
  crm.closePalette = function () {
    if (!palette) return;
    palette.hidden = true;
    frame.removeAttribute("src");
  };
  crm.runAction = function (url, label) {
    var target = crm.withContext(url);
    frameTitle.textContent = label || "";
    frameOpen.href = target;
    list.hidden = true;
    frameBox.hidden = false;
    frame.src = target;
  };

  if (palette) {
    filter.addEventListener("input", function () {
      var needle = filter.value.trim().toLowerCase();
      entries().forEach(function (li) {
        li.hidden = needle !== "" && li.textContent.toLowerCase().indexOf(needle) < 0;
      });
      select(0);
    });
    filter.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { select(selectedIndex() + 1); event.preventDefault(); }
      else if (event.key === "ArrowUp") { select(selectedIndex() - 1); event.preventDefault(); }
      else if (event.key === "Enter") {
        var chosen = list.querySelector("li.selected a");
        if (chosen) { chosen.click(); event.preventDefault(); }
      }
    });
    list.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-action-url]");
      if (!link) return;
      event.preventDefault();
      crm.runAction(link.getAttribute("data-action-url"), link.getAttribute("data-action-label"));
    });
    palette.addEventListener("click", function (event) {
      if (event.target === palette || event.target.closest("[data-palette-close]")) crm.closePalette();
    });
    document.querySelectorAll("[data-palette-open]").forEach(function (button) {
      button.addEventListener("click", crm.openPalette);
    });
  }

  function onKey(event) {
    if (event.key === "F2") {
      event.preventDefault();
      if (window.self !== window.top && window.top.crm) window.top.crm.openPalette();
      else crm.openPalette();
    } else if (event.key === "Escape" && palette && !palette.hidden) {
      crm.closePalette();
    }
  }
  document.addEventListener("keydown", onKey);

  /* ---- toasts, unread badge, live stream ---- */
  crm.toast = function (title, body, link) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var item = document.createElement(link ? "a" : "div");
    item.className = "toast";
    if (link) item.href = link;
    var strong = document.createElement("strong");
    strong.textContent = title;
    item.appendChild(strong);
    if (body) {
      var text = document.createElement("div");
      text.textContent = body;
      item.appendChild(text);
    }
    box.appendChild(item);
    setTimeout(function () { item.remove(); }, 8000);
  };

  var badge = document.getElementById("unread-badge");
  crm.unread = 0;
  crm.setUnread = function (count) {
    crm.unread = Math.max(0, count || 0);
    if (!badge) return;
    badge.textContent = String(crm.unread);
    badge.hidden = crm.unread === 0;
  };

  var i18n = crm.pageData("crm-i18n");
  function connect() {
    if (!window.EventSource || window.self !== window.top || !badge) return;
    var source = new EventSource("/api/messages/stream");
    // Every handler reads its event's data with crm.parseJson and skips an event without any.
    source.addEventListener("unread", function (event) {
      var data = crm.parseJson(event.data);
      if (data && typeof data.count === "number") crm.setUnread(data.count);
    });
    source.addEventListener("message", function (event) {
      var data = crm.parseJson(event.data);
      if (!data || !data.title) return;
      crm.setUnread(crm.unread + 1);
      crm.toast((i18n.newMessage || "Mesaj nou") + ": " + data.title, data.body, data.link);
      document.dispatchEvent(new CustomEvent("crm:message", {detail: data}));
    });
    source.addEventListener("task", function (event) {
      var data = crm.parseJson(event.data);
      if (!data || !data.title) return;
      crm.toast(i18n.newTask || "Task nou pentru tine", data.title, data.link);
      document.dispatchEvent(new CustomEvent("crm:task", {detail: data}));
    });
    crm.stream = source;
  }
  connect();
})();

/* Field errors: the page lists each refused field once (#field-errors, data-field = the API's key); here each
   moves beside the form field of that name (or the one marked data-error-for="key", a list of keys when one place
   takes the errors of several: "recipients to_staff_ids"), marked aria-invalid; a key no field carries stays in
   the list. */
(function () {
  "use strict";
  function place() {
    var list = document.getElementById("field-errors");
    if (!list) return;
    Array.prototype.slice.call(list.querySelectorAll("li[data-field]")).forEach(function (item) {
      var key = item.getAttribute("data-field") || "";
      var names = [key, key.split(".").pop(), key.replace(/\.(\d+)\./, "_$1_")];
      // a field shown as several inputs (a month and a year list) names the one its error goes beside
      var input = document.querySelector('form [data-error-for~="' + key.replace(/"/g, "") + '"]');
      for (var i = 0; i < names.length && !input; i++) {
        if (!names[i]) continue;
        input = document.querySelector('form [name="' + names[i].replace(/"/g, "") + '"]:not([type=hidden])');
        // a picker's chosen id is a hidden field: its error goes beside the picker's text box
        var chosen = input ? null : document.querySelector('form .picker [name="' + names[i].replace(/"/g, "") + '"]');
        if (chosen) input = chosen.closest(".picker").querySelector(".picker-text");
      }
      if (!input) return;
      var note = document.createElement("span");
      note.className = "error field-error";
      note.setAttribute("data-field-error", key);
      note.id = "field-error-" + key.replace(/[^A-Za-z0-9_-]/g, "_");
      note.textContent = item.textContent;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", note.id);
      var anchor = input.closest(".picker") || input.closest("label") || input;
      anchor.insertAdjacentElement("afterend", note);
      item.remove();
    });
    if (!list.querySelector("li")) list.remove();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", place);
  else place();
})();

/* Fields of one choice: a form's [data-shown-for="a b"] part shows only while the form's select[data-choice] holds
   a or b (an offer's validity for an offer, a contract's terms for a contract); a hidden part is disabled, so it is
   not sent. Without script every part shows under its legend, and the server reads only the chosen one's fields. */
(function () {
  "use strict";
  function sync(select) {
    Array.prototype.slice.call(select.form.querySelectorAll("[data-shown-for]")).forEach(function (part) {
      var on = part.getAttribute("data-shown-for").split(/\s+/).indexOf(select.value) >= 0;
      part.hidden = !on;
      part.disabled = !on;
    });
  }
  function start() {
    Array.prototype.slice.call(document.querySelectorAll("form select[data-choice]")).forEach(function (select) {
      sync(select);
      select.addEventListener("change", function () { sync(select); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
