// Progressive enhancement only: every page works without this file.
// 1. "Use my location" fills the form's hidden lat/long where the browser allows it.
// 2. A status page still waiting for its organisation reloads itself every few seconds.
(function () {
  document.documentElement.className += " js";
  var button = document.getElementById("locate");
  if (button && navigator.geolocation) {
    button.addEventListener("click", function () {
      var said = document.getElementById("locate-status");
      navigator.geolocation.getCurrentPosition(function (where) {
        document.getElementById("lat").value = where.coords.latitude.toFixed(6);
        document.getElementById("long").value = where.coords.longitude.toFixed(6);
        said.textContent = said.getAttribute("data-taken");
      }, function () {
        said.textContent = said.getAttribute("data-failed");
      }, {enableHighAccuracy: true, timeout: 15000});
    });
  }
  var waiting = document.querySelector("[data-refresh]");
  if (waiting) {
    setTimeout(function () { window.location.reload(); }, 1000 * Number(waiting.getAttribute("data-refresh")));
  }
})();
