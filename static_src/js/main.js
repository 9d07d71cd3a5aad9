// The page's own script: fills in the footer once the page is ready.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var footer = window.demo.$("#built");
    if (footer) {
      footer.textContent = "Scripts loaded: " + window.demo.formatBytes(12345) + " of demo data.";
      footer.setAttribute("data-ready", "yes");
    }
  });
})();
