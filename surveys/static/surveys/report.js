// Poll the report jobs' status while a download is being built, then reload to show its link.
(function () {
  "use strict";
  var box = document.getElementById("downloads");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  function poll() {
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (data) {
      if (data.pending) { setTimeout(poll, 1500); } else { window.location.reload(); }
    }).catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1500);
})();
