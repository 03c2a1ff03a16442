/* Behaviour the templates would otherwise write inline (the Content-Security-Policy allows no
   inline script): a <select data-autosubmit> sends its form when changed, a [data-print] button
   prints the page. Loaded by base.html on every page. */
(function () {
  "use strict";
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el && el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.submit();
  });
  document.addEventListener("click", function (ev) {
    var el = ev.target && ev.target.closest ? ev.target.closest("[data-print]") : null;
    if (el) window.print();
  });
})();
