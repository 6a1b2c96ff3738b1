// A form sent back with errors: bring the first one into view and put the cursor in its field, so
// that on a phone the reason is not somewhere below the fold of a long form.
(function () {
  "use strict";
  function firstError() {
    return document.querySelector("main form .errors, main form .error, main form .errorlist, main form label.invalid");
  }
  function show() {
    var error = firstError();
    if (!error) { return; }
    error.scrollIntoView({ block: "center" });
    var label = error.closest("label");
    var field = label && label.querySelector("input:not([type=hidden]), select, textarea");
    if (field) { field.focus({ preventScroll: true }); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", show);
  } else {
    show();
  }
})();
