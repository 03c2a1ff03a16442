/* The day page's timeline: clicking a stop selects it as a click on its row in the stop lists
 * does (day.js highlights the row, opens the map marker, fills the edit bar), and whatever
 * selects a stop (a row, a marker) is mirrored in the timeline with that stop's booked slot.
 * The stop is also chosen in the dispatcher's event form. */
(function () {
  "use strict";
  var svg = document.getElementById("timeline");
  if (!svg) { return; }
  var eventStop = document.getElementById("event-stop");

  function mark(stopId) {
    svg.querySelectorAll(".tl-stop.selected, .tl-slot.selected").forEach(function (el) { el.classList.remove("selected"); });
    if (!stopId) { return; }
    svg.querySelectorAll('[data-stop-id="' + CSS.escape(stopId) + '"], [data-slot-of="' + CSS.escape(stopId) + '"]')
      .forEach(function (el) { el.classList.add("selected"); });
    svg.dataset.selected = stopId;
    if (eventStop && eventStop.querySelector('option[value="' + CSS.escape(stopId) + '"]')) { eventStop.value = stopId; }
  }

  function pick(stopId) {
    var row = document.querySelector('tr.stop-row[data-stop-id="' + CSS.escape(stopId) + '"]');
    if (row) { row.click(); row.scrollIntoView({ block: "nearest" }); }  /* day.js selects; the observer marks */
    mark(stopId);
  }

  svg.querySelectorAll(".tl-stop").forEach(function (el) {
    el.addEventListener("click", function () { pick(el.dataset.stopId); });
    el.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { pick(el.dataset.stopId); } });
  });

  /* A selection made elsewhere (stop list, map marker): day.js puts .selected on the rows. */
  var rows = document.querySelectorAll("tr.stop-row");
  if (rows.length && window.MutationObserver) {
    var observer = new MutationObserver(function () {
      var sel = document.querySelector("tr.stop-row.selected");
      if (sel && sel.dataset.stopId !== svg.dataset.selected) { mark(sel.dataset.stopId); }
    });
    rows.forEach(function (r) { observer.observe(r, { attributes: true, attributeFilter: ["class"] }); });
  }
})();
