/* Task form (T1): live checks of the responsible person, availability, contract and balance. */
(() => {
  const form = document.getElementById("task-form");
  const data = window.crm.pageData("task-form-data");
  const staff = data.staff || [];
  const staffIds = data.staffIds || [];
  const T = data.texts || {};
  const set = (id, text, cls) => { const el = document.getElementById(id); el.textContent = text; el.className = cls || ""; };
  let timer = null;
  async function refresh() {
    const f = new FormData(form);
    const q = new URLSearchParams();
    for (const k of ["responsible_staff_id", "partner_id", "service_code", "planned_hours"]) if (f.get(k)) q.set(k, f.get(k).replace(",", "."));
    if (f.get("planned_start")) q.set("planned_start", f.get("planned_start"))  // Bucharest wall time, as the form sends it;
    if (!(q.get("planned_start") && q.get("planned_hours"))) { q.delete("planned_start"); q.delete("planned_hours"); }
    let body;
    try {
      const r = await fetch("/api/tasks/checks?" + q.toString(), {credentials: "same-origin"});
      body = await r.json();
      if (!r.ok) { set("check-available", body.detail || r.statusText, "warn"); return; }
    } catch (e) { return; }
    const who = staffIds.indexOf(body.responsible_staff_id);
    set("check-responsible", who >= 0 ? staff[who] : (body.responsible_staff_id || "—"));
    if (body.available === null) set("check-available", "—");
    else if (body.available) set("check-available", T.available, "ok");
    else set("check-available", T.busy + " · " + T.conflicts + ": " + body.conflicts.map(c => c.title + " (" + c.day + ", " + c.hours + "h)").join("; "), "warn");
    set("check-contract", body.active_contract ? body.active_contract.number : (q.get("partner_id") ? T.none : "—"));
    set("check-covers", body.covers_service === null ? "—" : (body.covers_service ? T.yes : T.no), body.covers_service === false ? "warn" : "ok");
    set("check-balance", body.balance === null ? "—" : body.balance + " " + (body.balance_currency || ""));
  }
  form.addEventListener("change", () => { clearTimeout(timer); timer = setTimeout(refresh, 150); });
  form.addEventListener("input", (e) => { if (e.target.dataset.check !== undefined) { clearTimeout(timer); timer = setTimeout(refresh, 400); } });
  refresh();
})();
