// Show a follow-up question only after a low score on the question it follows.
// Without JavaScript every question shows and the server ignores follow-ups
// whose parent was not scored low.
(function () {
  "use strict";
  var followUps = document.querySelectorAll("[data-follow-up-of]");
  function update() {
    followUps.forEach(function (block) {
      var parent = block.getAttribute("data-follow-up-of");
      var low = (block.getAttribute("data-low-values") || "").split(",");
      var checked = document.querySelector('input[name="q_' + parent + '"]:checked');
      var show = checked !== null && low.indexOf(checked.value) !== -1;
      block.classList.toggle("px-hidden", !show);
      block.querySelectorAll("input, textarea").forEach(function (field) { field.disabled = !show; });
    });
  }
  document.addEventListener("change", update);
  update();
})();
