/* Campaign page: live count of the member filter, and the progress of a running send. */
(function () {
  const form = document.getElementById("member-filter");
  const box = document.getElementById("filter-count");
  const add = document.getElementById("add-matching");
  let timer = null;
  // The server words the count (plural forms) and says whether the filter has a criterion: without one the
  // button stays disabled, so an empty filter never adds the whole directory.
  async function count() {
    if (!form) return;
    const params = new URLSearchParams(new FormData(form));
    try {
      const answer = await fetch(form.dataset.countUrl + "?" + params.toString(), {headers: {accept: "application/json"}});
      const body = await answer.json();
      if (body.error) { box.dataset.error = body.error; box.textContent = body.error; add.disabled = true; return; }
      delete box.dataset.error;
      box.textContent = body.summary;
      box.dataset.matching = body.matching === undefined ? "" : body.matching;
      add.disabled = !body.criterion || !body.would_add;
    } catch (e) { box.title = String(e); }
  }
  if (form) {
    form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(count, 250); });
    form.addEventListener("change", () => { clearTimeout(timer); timer = setTimeout(count, 50); });
    count();
  }

  const progress = document.getElementById("progress");
  async function poll() {
    try {
      const body = await (await fetch(progress.dataset.url, {headers: {accept: "application/json"}})).json();
      progress.querySelector("[data-requested]").textContent = body.requested;
      progress.querySelector("[data-opened]").textContent = body.opened;
      progress.querySelector("[data-pending-count]").textContent = body.pending;
      progress.dataset.pending = body.pending;
      document.getElementById("progress-bar").style.width = (body.requested ? Math.round(100 * body.opened / body.requested) : 0) + "%";
      if (body.pending > 0) setTimeout(poll, 2000);
    } catch (e) { setTimeout(poll, 5000); }
  }
  if (Number(progress.dataset.pending) > 0) setTimeout(poll, 1000);
})();
