// The questionnaire's autosave: each change saves its item at once (typing after a short pause),
// through the same service as the Save button. No build step and no dependency; without this
// script the Save and Submit buttons post the whole form.
(function () {
  "use strict";
  var form = document.getElementById("questionnaire");
  if (!form || !form.dataset.autosaveUrl || !window.fetch) return;
  var statusEl = document.getElementById("save-status");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var timers = {};
  var queue = Promise.resolve(); // one save at a time, in order, so an older save never wins

  function say(text) { statusEl.textContent = text; }

  function isRated(article) {
    return article.hasAttribute("data-open") || article.querySelector("input[type=radio]:checked") !== null;
  }

  function showErrors(article, errors) {
    article.querySelectorAll(".js-error").forEach(function (el) { el.remove(); });
    Object.keys(errors || {}).forEach(function (name) {
      var p = document.createElement("p");
      p.className = "field-error js-error";
      p.textContent = errors[name];
      (document.getElementById(name + "-field") || article).appendChild(p);
    });
  }

  function updateProgress(answered, total) {
    var bar = document.getElementById("progress");
    bar.value = answered; bar.max = total;
    document.getElementById("progress-text").textContent = answered + " of " + total + " items answered";
    form.querySelectorAll("[data-section]").forEach(function (section) {
      var done = 0;
      section.querySelectorAll("[data-item]").forEach(function (article) {
        var open = article.querySelector("textarea[name^=open-]");
        var sets = article.querySelectorAll("fieldset.scale");
        var rated = Array.prototype.every.call(sets, function (s) { return s.querySelector("input:checked"); });
        if (open ? open.value.trim() !== "" : sets.length && rated) done += 1;
      });
      section.querySelector("[data-section-answered]").textContent = done;
    });
  }

  function save(article) {
    var body = new FormData();
    article.querySelectorAll("input, textarea").forEach(function (el) {
      if (el.type !== "radio" || el.checked) body.append(el.name, el.value);
    });
    say("Saving…");
    return fetch(form.dataset.autosaveUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": csrf, "Accept": "application/json"}
    }).then(function (response) {
      return response.json().then(function (data) {
        showErrors(article, data.errors);
        if (!response.ok) {
          say("Not saved: " + (data.errors ? Object.values(data.errors).join(" ") : data.message));
          return;
        }
        updateProgress(data.answered, data.total);
        say("Saved at " + new Date().toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"}) + ".");
      });
    }).catch(function () {
      say("Not saved: the connection failed. Your answers are still on this page; press Save to try again.");
    });
  }

  function schedule(article, delay) {
    var id = article.dataset.item;
    clearTimeout(timers[id]);
    timers[id] = setTimeout(function () {
      if (!isRated(article)) { say("Choose a rating for this statement; your reason is saved with it."); return; }
      queue = queue.then(function () { return save(article); });
    }, delay);
  }

  // Ask for a reason as soon as a rating leaves the panel's previous interquartile range.
  function checkReason(article) {
    var prompt = article.querySelector(".reason-prompt");
    if (!prompt) return;
    var outside = false;
    article.querySelectorAll("fieldset[data-q1]").forEach(function (set) {
      var checked = set.querySelector("input:checked");
      if (!checked || checked.value === "na") return;
      var value = Number(checked.value);
      if (value < Number(set.dataset.q1) || value > Number(set.dataset.q3)) outside = true;
    });
    prompt.hidden = !outside;
    article.classList.toggle("outside", outside);
  }

  form.addEventListener("change", function (event) {
    var article = event.target.closest("[data-item]");
    if (!article) return;
    checkReason(article);
    schedule(article, 0);
  });
  form.addEventListener("input", function (event) {
    var article = event.target.closest("[data-item]");
    if (article && event.target.tagName === "TEXTAREA") schedule(article, 1200);
  });
})();
