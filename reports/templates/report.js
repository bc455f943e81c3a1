(function () {
  "use strict";
  var form = document.getElementById("filters");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#findings-table tbody tr.finding"));
  var counter = document.getElementById("shown-count");
  var facets = ["severity", "status", "family", "site"];

  function field(name) { return form.elements.namedItem(name); }

  function apply() {
    var wanted = {};
    facets.forEach(function (name) { wanted[name] = field(name).value; });
    var query = field("q").value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var visible = facets.every(function (name) {
        return !wanted[name] || row.dataset[name] === wanted[name];
      }) && (!query || row.textContent.toLowerCase().indexOf(query) !== -1);
      row.hidden = !visible;
      if (visible) { shown += 1; }
    });
    counter.textContent = String(shown);
  }

  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });

  Array.prototype.forEach.call(document.querySelectorAll("[data-quick-status]"), function (card) {
    card.addEventListener("click", function () {
      var select = field("status");
      var value = card.getAttribute("data-quick-status");
      select.value = select.value === value ? "" : value;
      apply();
      document.getElementById("findings").scrollIntoView();
    });
  });

  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) { d.open = true; });
  });

  apply();
}());
