// Poll the report jobs' status while a download is being built: show each build's stage and
// progress as it goes (the words come translated from the server), then reload to show its link.
(function () {
  "use strict";
  var box = document.getElementById("downloads");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  function show(jobs) {
    Object.keys(jobs).forEach(function (format) {
      var job = jobs[format], item = box.querySelector('li[data-format="' + format + '"]');
      if (!item || !job.message) return;
      var status = item.querySelector(".status.building"), bar = item.querySelector("progress.build-progress");
      if (status) status.textContent = job.message;
      if (bar) { bar.value = job.progress; bar.textContent = job.progress + " %"; }
    });
  }
  function poll() {
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (data) {
      if (data.pending) { show(data.jobs || {}); setTimeout(poll, 1500); } else { window.location.reload(); }
    }).catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1500);
})();
