// Show a follow-up question only after a low score on the question it follows,
// and keep the "3 of 9 answered" progress in step with the answers.
// Without JavaScript every question shows, the server ignores follow-ups whose
// parent was not scored low, and the progress shows what was saved.
(function () {
  "use strict";
  var followUps = document.querySelectorAll("[data-follow-up-of]");
  var progress = document.querySelector(".px-progress");
  function answered(block) {
    if (block.querySelector("input:checked")) { return true; }
    var text = block.querySelector("textarea");
    return text !== null && text.value.trim() !== "";
  }
  function updateProgress() {
    if (progress === null) { return; }
    var count = 0;
    document.querySelectorAll("[data-counted]").forEach(function (block) { if (answered(block)) { count += 1; } });
    progress.querySelector("progress").value = count;
    progress.querySelector(".px-progress-text").textContent =
      progress.getAttribute("data-format").replace("{answered}", String(count));
  }
  function update() {
    followUps.forEach(function (block) {
      var parent = block.getAttribute("data-follow-up-of");
      var low = (block.getAttribute("data-low-values") || "").split(",");
      var checked = document.querySelector('input[name="q_' + parent + '"]:checked');
      var show = checked !== null && low.indexOf(checked.value) !== -1;
      block.classList.toggle("px-hidden", !show);
      block.querySelectorAll("input, textarea").forEach(function (field) { field.disabled = !show; });
    });
    updateProgress();
  }
  document.addEventListener("change", update);
  document.addEventListener("input", updateProgress);
  update();
})();
