/* Search-as-you-type pickers (templates/_picker.html): an ARIA combobox that asks the owning service's
   search route as the user types and keeps the chosen record's id in a hidden field. */
(() => {
  "use strict";
  const DELAY_MS = 150;

  function setup(box) {
    const text = box.querySelector(".picker-text");
    const multiple = box.dataset.multiple || "";  // the field name when several records may be chosen
    const chosen = box.querySelector(".picker-chosen");
    const hidden = multiple ? null : box.querySelector("input[type=hidden]");
    const list = box.querySelector(".picker-list");
    const hint = box.querySelector(".picker-hint");
    const extra = box.dataset.params || "";
    let items = [];
    let active = -1;
    let timer = null;
    let asked = 0;           // answers to older questions arrive late; only the newest one is shown
    let chosenName = text.value;

    const key = (item) => (item.id !== undefined ? item.id : item.code);  // articles are keyed by code
    const open = (yes) => { list.hidden = !yes; text.setAttribute("aria-expanded", yes ? "true" : "false"); };
    const say = (message) => { hint.textContent = message || ""; };

    function highlight(index) {
      active = index;
      Array.from(list.children).forEach((li, i) => li.setAttribute("aria-selected", i === index ? "true" : "false"));
      if (index >= 0 && list.children[index]) {
        text.setAttribute("aria-activedescendant", list.children[index].id);
        list.children[index].scrollIntoView({block: "nearest"});
      } else text.removeAttribute("aria-activedescendant");
    }

    function render() {
      list.textContent = "";
      items.forEach((item, i) => {
        const li = document.createElement("li");
        li.id = text.id + "-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.index = String(i);
        li.textContent = (item.code ? item.code + " — " : "") + item.name;
        const more = [item.locality, item.fiscal_code, item.team, item.category, item.partner_name].filter(Boolean).join(" · ");
        if (more) {
          const small = document.createElement("span");
          small.className = "muted";
          small.textContent = " " + more;
          li.appendChild(small);
        }
        list.appendChild(li);
      });
      open(items.length > 0);
      const count = items.length === 1 && box.dataset.countOne ? box.dataset.countOne : box.dataset.count;
      say(items.length ? count.replace("{n}", String(items.length)) : box.dataset.empty);
      highlight(items.length ? 0 : -1);
    }

    async function search() {
      const q = text.value.trim();
      const mine = ++asked;
      if (!q) { items = []; open(false); say(""); return; }
      const url = box.dataset.source + "?" + (box.dataset.query || "q") + "=" + encodeURIComponent(q) + (extra ? "&" + extra : "");
      try {
        const response = await window.crm.fetch(url, {headers: {Accept: "application/json"}});
        if (mine !== asked) return;
        if (!response.ok) { items = []; open(false); say(box.dataset.failed); return; }
        const body = await window.crm.readJson(response);  // null for an empty or non-JSON answer
        if (mine !== asked) return;
        if (!body || !Array.isArray(body.items)) { items = []; open(false); say(box.dataset.failed); return; }
        items = body.items;
      } catch (e) {
        if (mine === asked) { items = []; open(false); say(box.dataset.failed); }
        return;
      }
      if (mine === asked) render();
    }

    function add(item) {
      if (chosen.querySelector("input[value='" + CSS.escape(String(key(item))) + "']")) return;
      const li = document.createElement("li");
      li.textContent = item.name + " ";
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = multiple;
      input.value = key(item);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.textContent = "×";
      remove.setAttribute("aria-label", box.dataset.remove + " " + item.name);
      remove.addEventListener("click", () => { li.remove(); text.focus(); });
      li.append(input, remove);
      chosen.appendChild(li);
    }

    function choose(index) {
      const item = items[index];
      if (!item) return;
      if (multiple) {
        add(item);
        text.value = chosenName = "";
        items = [];
        open(false);
        say("");
        return;
      }
      hidden.value = key(item);
      text.value = chosenName = item.code ? item.code + " — " + item.name : item.name;
      text.setCustomValidity("");
      open(false);
      say("");
      hidden.dispatchEvent(new Event("change", {bubbles: true}));
    }

    text.addEventListener("input", () => {
      if (hidden && hidden.value && text.value !== chosenName) {
        hidden.value = "";  // the text no longer names the chosen record
        hidden.dispatchEvent(new Event("change", {bubbles: true}));
      }
      // the shown answers were for other text: Enter must not choose one of them before the new answer
      items = [];
      open(false);
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });
    text.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { if (items.length) open(true); else { search(); return; } }
        const step = event.key === "ArrowDown" ? 1 : -1;
        highlight(items.length ? (active + step + items.length) % items.length : -1);
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();  // Enter picks the option; it does not submit the form half filled
        choose(active);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        open(false);
      }
    });
    text.addEventListener("blur", () => { setTimeout(() => open(false), 150); });
    list.addEventListener("mousedown", (event) => event.preventDefault());  // keep the focus in the text box
    list.addEventListener("click", (event) => {
      const li = event.target.closest("li[role=option]");
      if (li) choose(Number(li.dataset.index));
    });
    if (text.form && hidden) {
      text.form.addEventListener("submit", (event) => {
        if (text.value.trim() && !hidden.value) {
          event.preventDefault();
          text.setCustomValidity(box.dataset.unchosen);
          text.reportValidity();
        } else if (!text.value.trim() && hidden.value) hidden.value = "";
      }, true);
      text.addEventListener("input", () => text.setCustomValidity(""));
    }
  }

  document.querySelectorAll("[data-picker]").forEach(setup);
})();
