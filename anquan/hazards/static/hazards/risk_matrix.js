// The risk matrix settings page: a cell takes the colour chosen in its select at once.
(function () {
  "use strict";
  var COLOURS = ["red", "orange", "yellow", "blue"];
  function paint(select) {
    var cell = select.closest("td[data-cell]");
    COLOURS.forEach(function (c) { cell.classList.remove("hz-" + c); });
    if (COLOURS.indexOf(select.value) >= 0) cell.classList.add("hz-" + select.value);
  }
  function setup() {
    var table = document.getElementById("hz-matrix");
    if (!table) return;
    table.addEventListener("change", function (event) {
      if (event.target.matches("td[data-cell] select")) paint(event.target);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
