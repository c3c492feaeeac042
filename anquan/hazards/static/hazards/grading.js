// The grading form's preview: the risk value and colour of the chosen factors, before saving —
// D = L×E×C and the LEC bands, or R = L×S and the colour of that cell of the site's matrix.
(function () {
  "use strict";
  // Citing an item of the determination standard makes the hazard major (重大).
  function criteria() {
    var form = document.getElementById("hz-form-grade");
    if (!form) return;
    var grade = form.querySelector("[name='grade-grade']");
    form.querySelectorAll("input[name='grade-criteria']").forEach(function (box) {
      box.addEventListener("change", function () {
        if (box.checked && grade) grade.value = "major";
      });
    });
  }
  function setup() {
    criteria();
    var box = document.getElementById("hz-grading-preview");
    var source = document.getElementById("hz-grading-data");
    if (!box || !source) return;
    var config = JSON.parse(source.textContent);
    var form = box.closest("form");
    var result = document.getElementById("hz-grading-result");
    function value(name) {
      var field = form.querySelector("[data-grading-factor='" + name + "']");
      return field && field.value !== "" ? Number(field.value) : null;
    }
    function show(text, colour) {
      var info = colour ? config.colours[colour] : null;
      result.textContent = info ? text + " → " + info.label : "";
      result.className = "small fw-semibold" + (info ? " badge " + info.badge : "");
    }
    function lecColour(d) {
      for (var i = 0; i < config.bands.length; i++) {
        if (d > config.bands[i][0]) return config.bands[i][1];
      }
      return config.lowest;
    }
    function update() {
      if (config.method === "ls") {
        var l = value("ls_l"), s = value("ls_s");
        box.querySelectorAll("td[data-l]").forEach(function (td) {
          td.classList.toggle("hz-picked", Number(td.dataset.l) === l && Number(td.dataset.s) === s);
        });
        if (l === null || s === null) return show("", null);
        show("R = " + l + " × " + s + " = " + l * s, config.cells[l - 1][s - 1]);
      } else {
        var L = value("lec_l"), E = value("lec_e"), C = value("lec_c");
        if (L === null || E === null || C === null) return show("", null);
        var d = Math.round(L * E * C * 10000) / 10000;
        show("D = " + L + " × " + E + " × " + C + " = " + d, lecColour(d));
      }
    }
    form.addEventListener("change", update);
    box.querySelectorAll("td[data-l]").forEach(function (td) {
      td.addEventListener("click", function () {
        var l = form.querySelector("[data-grading-factor='ls_l']");
        var s = form.querySelector("[data-grading-factor='ls_s']");
        if (l && s) { l.value = td.dataset.l; s.value = td.dataset.s; update(); }
      });
    });
    update();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
