/* Partner import: follow the validation progress, reload when it is done. */
(function () {
  const url = window.crm.pageData("partner-import-data").progress_url;
  if (!url) return;
  async function poll() {
    const r = await fetch(url, {credentials: "same-origin"});
    if (!r.ok) return;
    const s = await r.json();
    document.getElementById("processed").textContent = s.processed_rows;
    document.getElementById("bar").style.width = (s.total_rows ? 100 * s.processed_rows / s.total_rows : 100) + "%";
    if (s.status === "validating") setTimeout(poll, 500); else location.reload();
  }
  setTimeout(poll, 500);
})();
