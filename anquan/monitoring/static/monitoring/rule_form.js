/* The rule form: show the parameter fields of the chosen rule kind only (without script, all show
   and only the chosen kind's are used). */
(function () {
  "use strict";
  const kind = document.querySelector("#rule-form select[name=kind]");
  if (!kind) return;
  function sync() {
    document.querySelectorAll("[data-kind-group]").forEach((group) => {
      group.hidden = group.dataset.kindGroup !== kind.value;
    });
  }
  kind.addEventListener("change", sync);
  sync();
})();
