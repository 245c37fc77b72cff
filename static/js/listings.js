/* Listings pages: show only the amounts a fee model needs; auto-apply browse filters; confirm withdrawals. */
(function () {
  "use strict";

  function syncFeeFields(form) {
    var select = form.querySelector("select[name='fee_model']");
    if (!select) return;
    form.querySelectorAll("[data-fee-models]").forEach(function (box) {
      var models = box.getAttribute("data-fee-models").split(" ");
      var show = models.indexOf(select.value) !== -1 || box.querySelector(".is-invalid");
      box.hidden = !show;
    });
  }

  document.querySelectorAll("[data-terms-form]").forEach(function (form) {
    var select = form.querySelector("select[name='fee_model']");
    if (!select) return;
    select.addEventListener("change", function () { syncFeeFields(form); });
    syncFeeFields(form);
  });

  // Browse: checkboxes and selects apply at once (the Apply button stays for keyboards and no-JS).
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.matches("input[type=checkbox], input[type=radio], select")) {
        var page = form.querySelector("input[name='page']");
        if (page) page.remove();
        form.requestSubmit ? form.requestSubmit() : form.submit();
      }
    });
  });

  // Delegated, so forms that arrive later (a deal room's live sections) ask too.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-confirm]") && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();
