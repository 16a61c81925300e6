/* Search and filters for the report's tables; the page is complete without this script. */
(function () {
  "use strict";
  var table = document.querySelector("table.filterable");
  var controls = document.getElementById("filters");
  if (!table || !controls) { return; }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-row]"));
  var search = document.getElementById("search");
  var selects = Array.prototype.slice.call(controls.querySelectorAll("select[data-filter]"));
  var shown = document.getElementById("shown-count");
  controls.hidden = false;

  function apply() {
    var words = search.value.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
    var visible = 0;
    rows.forEach(function (row) {
      var text = row.textContent.toLowerCase();
      var ok = words.every(function (w) { return text.indexOf(w) !== -1; });
      selects.forEach(function (s) {
        if (s.value && row.getAttribute("data-" + s.getAttribute("data-filter")) !== s.value) { ok = false; }
      });
      row.hidden = !ok;
      if (ok) { visible += 1; }
    });
    shown.textContent = String(visible);
    return visible;
  }

  search.addEventListener("input", apply);
  selects.forEach(function (s) { s.addEventListener("change", apply); });

  /* Self-test hook: report.html#selftest=QUERY[&severity=…&rule=…&source=…]. */
  var hash = window.location.hash.replace(/^#/, "");
  if (hash.indexOf("selftest=") === 0) {
    var params = new URLSearchParams(hash);
    search.value = params.get("selftest") || "";
    selects.forEach(function (s) {
      var v = params.get(s.getAttribute("data-filter"));
      if (v !== null) { s.value = v; }
    });
    var visible = apply();
    var visibleRows = rows.filter(function (r) { return !r.hidden; });
    var result = {
      query: search.value,
      visible: visible,
      total: rows.length,
      diagrams: document.querySelectorAll("svg.path-diagram").length,
      visible_diagrams: visibleRows.filter(function (r) { return r.querySelector("svg.path-diagram") !== null; }).length,
      visible_rows: visibleRows.map(function (r) { return r.getAttribute("data-rule") || r.getAttribute("data-recommendation") || ""; }),
      data_items: JSON.parse(document.getElementById("report-data").textContent).length,
      errors: window.residueErrors
    };
    var out = document.getElementById("selftest-result");
    out.textContent = JSON.stringify(result);
    out.hidden = false;
  }
})();
