// The department list follows the chosen hospital. Without this script every
// hospital's departments are listed, grouped by hospital, and the server checks
// the pair either way.
(function () {
  "use strict";
  var hospital = document.getElementById("id_hospital");
  var department = document.getElementById("id_department");
  var data = document.getElementById("px-departments");
  if (!hospital || !department || !data) {
    return;
  }
  var groups = JSON.parse(data.textContent);
  var empty = department.querySelector('option[value=""]');
  var emptyLabel = empty ? empty.textContent : "";

  function fill() {
    var chosen = department.value;
    var options = groups[hospital.value] || [];
    department.textContent = "";
    var blank = document.createElement("option");
    blank.value = "";
    blank.textContent = emptyLabel;
    department.appendChild(blank);
    options.forEach(function (pair) {
      var option = document.createElement("option");
      option.value = pair[0];
      option.textContent = pair[1];
      if (pair[0] === chosen) {
        option.selected = true;
      }
      department.appendChild(option);
    });
    department.disabled = options.length === 0;
  }

  hospital.addEventListener("change", fill);
  fill();
})();
