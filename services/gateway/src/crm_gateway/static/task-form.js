/* Task form (T1): live checks of the responsible person, availability, contract and balance. */
(() => {
  const form = document.getElementById("task-form");
  const data = window.crm.pageData("task-form-data");
  const staff = data.staff || [];
  const staffIds = data.staffIds || [];
  const T = data.texts || {};
  // The responsible list follows the client until the user picks someone: the client's representative (T4),
  // else the user themself when they are on the staff (any role may make a task for anyone, an agent for himself)
  const responsible = form.elements.responsible_staff_id;
  let chosenByHand = Boolean(responsible.value);
  responsible.addEventListener("change", () => { chosenByHand = Boolean(responsible.value); });
  const suggest = (staffId) => {
    if (chosenByHand) return;
    const wanted = staffId && staffIds.indexOf(staffId) >= 0 ? staffId : (data.me && staffIds.indexOf(data.me) >= 0 ? data.me : "");
    if (responsible.value !== wanted) responsible.value = wanted;
  };
  const set = (id, text, cls) => { const el = document.getElementById(id); el.textContent = text; el.className = cls || ""; };
  let timer = null;
  const hours = (text) => Number(text).toLocaleString(document.documentElement.lang || undefined);
  // An amount as the server's money filter writes it: the page's separators, two decimals, the currency's name
  const money = (amount, currency) => {
    const code = (currency || "RON").toUpperCase();
    const text = Number(amount).toLocaleString(document.documentElement.lang || undefined, {minimumFractionDigits: 2, maximumFractionDigits: 2});
    return text + "\u00a0" + ((data.currencies || {})[code] || code);
  };
  // T5: the contract line picker lists the chosen client's contracts in force, each line by its name
  const lines = document.getElementById("contract-line");
  let linesFor = null;
  async function loadLines(partnerId) {
    if (partnerId === linesFor) return;
    linesFor = partnerId;
    const keep = lines.value || lines.dataset.value || "";
    while (lines.options.length > 1) lines.remove(1);
    for (const g of Array.from(lines.querySelectorAll("optgroup"))) g.remove();
    if (!partnerId) return;
    let body;
    try {
      const r = await fetch("/api/tasks/contracts?partner_id=" + encodeURIComponent(partnerId), {credentials: "same-origin"});
      if (!r.ok) return;
      body = await r.json();
    } catch (e) { return; }
    for (const c of body.items) {
      const group = document.createElement("optgroup");
      group.label = c.number;
      for (const ln of c.lines) {
        if (!ln.line_id) continue;
        const option = new Option(ln.name, c.id + "|" + ln.line_id);
        option.selected = option.value === keep;
        group.appendChild(option);
      }
      lines.appendChild(group);
    }
  }
  async function refresh(again) {
    const f = new FormData(form);
    loadLines(f.get("partner_id") || "");
    const q = new URLSearchParams();
    // a suggested responsible is not the user's choice: the service answers the client's default (T4) without it
    if (!chosenByHand && !again) f.delete("responsible_staff_id");
    if (!chosenByHand && !f.get("partner_id")) responsible.value = "";
    for (const k of ["responsible_staff_id", "partner_id", "service_code", "planned_hours"]) if (f.get(k)) q.set(k, f.get(k).replace(",", "."));
    if (f.get("planned_start")) q.set("planned_start", f.get("planned_start"))  // Bucharest wall time, as the form sends it;
    if (!(q.get("planned_start") && q.get("planned_hours"))) { q.delete("planned_start"); q.delete("planned_hours"); }
    let body;
    try {
      const r = await fetch("/api/tasks/checks?" + q.toString(), {credentials: "same-origin"});
      body = await r.json();
      if (!r.ok) { set("check-available", body.detail || r.statusText, "warn"); return; }
    } catch (e) { return; }
    // before a client is chosen nobody is suggested: the client's representative may be the one (T4)
    if (f.get("partner_id") && !again) {
      suggest(body.responsible_staff_id);
      // the user suggested instead of a representative: check their availability, once
      if (responsible.value && responsible.value !== body.responsible_staff_id) { refresh(true); return; }
    }
    const who = staffIds.indexOf(responsible.value || body.responsible_staff_id);
    set("check-responsible", who >= 0 ? staff[who] : (responsible.value || body.responsible_staff_id || "—"));
    if (body.available === null) set("check-available", "—");
    else if (body.available) set("check-available", T.available, "ok");
    else {
      // T6: a plan longer than the person's day is flagged even with nothing else planned
      const parts = [T.busy];
      if (body.over_hours_per_day) parts.push(T.overDay.replace("%(planned)s", hours(q.get("planned_hours"))).replace("%(per_day)s", hours(body.hours_per_day)));
      if (body.conflicts.length) parts.push(T.conflicts + ": " + body.conflicts.map(c => c.title + " (" + c.day + ", " + c.hours + " h)").join("; "));
      set("check-available", parts.join(" · "), "warn");
    }
    set("check-contract", body.active_contract ? body.active_contract.number : (q.get("partner_id") ? T.none : "—"));
    set("check-covers", body.covers_service === null ? "—" : (body.covers_service ? T.yes : T.no), body.covers_service === false ? "warn" : "ok");
    set("check-balance", body.balance === null || body.balance === undefined ? "—" : money(body.balance, body.balance_currency));
  }
  form.addEventListener("change", () => { clearTimeout(timer); timer = setTimeout(refresh, 150); });
  form.addEventListener("input", (e) => { if (e.target.dataset.check !== undefined) { clearTimeout(timer); timer = setTimeout(refresh, 400); } });
  refresh();
})();
