// The operators' desk, enhanced: the form is checked by intake's rules as the operator types
// (the same sentences the server shows after a submit), and a prepared answer fills the answer
// box so the operator reads it out and may edit it. Without this file every page works the same,
// with the check on submit.
(function () {
  "use strict";
  var form = document.getElementById("register");
  if (!form) { return; }
  var timer = null, asked = 0;
  function show(errors, ok) {
    var shown = form.querySelectorAll(".field-error");
    for (var i = 0; i < shown.length; i++) {
      var name = shown[i].id.slice(2), sentence = errors[name] || "";
      shown[i].textContent = sentence;
      var input = document.getElementById("f-" + name);
      if (input) {
        if (sentence) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
        var box = input.closest(".field");
        if (box) { box.classList.toggle("invalid", !!sentence); }
      }
    }
    var fine = document.getElementById("check-ok");
    if (fine) { fine.textContent = Object.keys(errors).length ? "" : ok; }
  }
  function check() {
    var mine = ++asked, body = new URLSearchParams(new FormData(form));
    body.set("action", "check");
    fetch(form.getAttribute("data-check"), {method: "POST", body: body, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) { if (answer && mine === asked) { show(answer.errors, answer.ok); } })
      .catch(function () { /* the check on submit still runs */ });
  }
  function later() { clearTimeout(timer); timer = setTimeout(check, 400); }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  var prepared = document.getElementById("f-prepared"), answer = document.getElementById("f-answer");
  if (prepared && answer) {
    prepared.addEventListener("change", function () {
      var chosen = prepared.options[prepared.selectedIndex];
      if (chosen && chosen.getAttribute("data-text")) { answer.value = chosen.getAttribute("data-text"); }
    });
  }
  document.addEventListener("keydown", function (e) {
    if (e.altKey && !e.ctrlKey && (e.key === "r" || e.key === "R")) {
      e.preventDefault(); document.getElementById("submit").click();
    } else if (e.altKey && !e.ctrlKey && (e.key === "f" || e.key === "F")) {
      e.preventDefault(); document.getElementById("find").click();
    }
  });
}());
