/* Partner import: follow the progress (rows checked, then partners written), reload when it is done. */
(function () {
  const data = window.crm.pageData("partner-import-data");
  if (!data.progress_url) return;
  const fmt = new Intl.NumberFormat(document.documentElement.lang || "ro");
  async function poll() {
    const r = await fetch(data.progress_url, {credentials: "same-origin"});
    if (!r.ok) return;
    const s = await r.json();
    const written = s.status === "storing" ? s.imported : 0;
    document.getElementById("phase").textContent = data.phases[s.status] || s.status;
    document.getElementById("processed").textContent = fmt.format(s.processed_rows);
    document.getElementById("imported").textContent = fmt.format(written);
    const running = s.status === "validating" || s.status === "storing";
    // Half the bar for the rows checked, half for the partners written; a finished import fills it.
    const pct = running && s.total_rows ? 50 * (s.processed_rows + written) / s.total_rows : 100;
    const bar = document.getElementById("bar");
    bar.style.width = pct + "%";
    bar.parentElement.setAttribute("aria-valuenow", String(Math.round(pct)));
    if (running) setTimeout(poll, 500); else location.reload();
  }
  setTimeout(poll, 500);
})();
