/* Tasks list (C3): ask now and then for tasks registered for me since the page was loaded. */
(() => {
  // C3: every N minutes ask for tasks registered for me since the page was loaded (0 = off);
  // the gateway's live stream also shows a toast at once.
  const data = window.crm.pageData("tasks-list-data");
  const minutes = Number(data.refresh_minutes) || 0;
  const since = data.loaded_at;
  const box = document.getElementById("new-tasks");
  async function check() {
    const url = "/api/tasks?view=for-me&limit=1&since=" + encodeURIComponent(since);
    try {
      const r = await fetch(url, {credentials: "same-origin"});
      if (!r.ok) return;
      const body = await r.json();
      if (body.total > 0) { document.getElementById("new-task-count").textContent = body.total; box.hidden = false; }
    } catch (e) { /* offline: try again next time */ }
  }
  window.crmCheckNewTasks = check;
  if (minutes > 0) setInterval(check, minutes * 60 * 1000);
})();
