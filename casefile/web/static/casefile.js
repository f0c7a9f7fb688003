// Progressive enhancement only: every page works without this file and without htmx.
// htmx swaps <main> in place; error pages (400) are swapped too, and focus goes to the
// error summary, the message, or the page's top, so a screen reader hears the result.
(function () {
  if (!window.htmx) { return; }
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[2345]..", swap: true, error: false }
  ];
  document.body.addEventListener("htmx:afterSettle", function () {
    var target = document.getElementById("errors");
    var message = document.querySelector("#message .ok");
    if (!target && message) { target = document.getElementById("message"); }
    if (!target) { target = document.getElementById("main"); }
    if (target) { target.focus(); }
    // <main> was replaced with its own status region; say the result in the one that stayed.
    var said = document.querySelector("#errors h2, #message .ok");
    var announce = document.getElementById("announce");
    if (announce) { announce.textContent = said ? said.textContent : document.title; }
  });
})();
