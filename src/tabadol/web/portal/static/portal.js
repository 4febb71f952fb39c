// tabadol portal: optional conveniences. Every page works without this file; it only adds what
// a script can do better (live updates are added by the pages that need them).
"use strict";
(function () {
  // Keep focus visible for keyboard users after a same-page jump (skip link).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.skip-link");
    if (!link) return;
    var target = document.getElementById("main");
    if (target) target.focus();
  });
})();
