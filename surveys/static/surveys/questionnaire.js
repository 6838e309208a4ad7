// The questionnaire's autosave: each change saves its item at once (typing after a short pause),
// through the same service as the Save button. No build step and no dependency; without this
// script the Save and Submit buttons post the whole form, and the footer says so.
//
// Nothing typed is lost on the way out: leaving the page (a link, a reload, closing the tab,
// switching away) sends what is not yet saved at once, in a request that outlives the page
// (fetch keepalive, or sendBeacon). A reason typed before its item has a rating cannot be saved
// yet (a reason lives on a rating): the page keeps it, says so beside the field, saves it with the
// rating once one is chosen, and warns before the page is left while it waits.
//
// Every text shown here comes from the template's data attributes, so the words live in one place
// and are translated there with the page (no JavaScript catalogue: the script holds no words).
// So do the rules: which points ask for a reason (data-outside on each rating) and which fields make
// an item answered (data-answered-by) are decided on the server (surveys/answer_rules.py); this
// script only reads them.
(function () {
  "use strict";
  var form = document.getElementById("questionnaire");
  if (!form || !form.dataset.autosaveUrl || !window.fetch) return;
  var url = form.dataset.autosaveUrl;
  var statusEl = document.getElementById("save-status");
  var words = statusEl.dataset;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var canKeepAlive = window.Request && "keepalive" in Request.prototype;
  var KEEPALIVE_BYTES = 60000; // browsers refuse keepalive bodies over 64 KiB in flight
  var timers = {};
  // Per item: edits counts changes, sent the edit count last sent, failed "refused" or "offline".
  var state = {};
  var queue = Promise.resolve(); // one save at a time, in order, so an older save never wins
  var submitting = false;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) { return key in values ? values[key] : whole; });
  }

  function say(text) { statusEl.textContent = text; }

  function stateOf(article) {
    var id = article.dataset.item;
    if (!state[id]) state[id] = {edits: 0, sent: 0, failed: ""};
    return state[id];
  }

  function isRated(article) {
    return article.hasAttribute("data-open") || article.querySelector("input[type=radio]:checked") !== null;
  }

  // A reason typed while the item has no rating: the service refuses it (it lives on a rating).
  function isWaitingForRating(article) {
    var reason = article.querySelector("textarea[name^=rationale-]");
    return !isRated(article) && reason !== null && reason.value.trim() !== "";
  }

  function showNote(article) {
    var note = article.querySelector(".field-note");
    if (note) note.textContent = isWaitingForRating(article) ? note.dataset.needsRating : "";
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

  // Whether a field of the form holds a value: a chosen radio, or a text with more than blanks.
  function holdsValue(article, name) {
    return Array.prototype.some.call(article.querySelectorAll("[name]"), function (el) {
      if (el.name !== name) return false;
      return el.type === "radio" ? el.checked : el.value.trim() !== "";
    });
  }

  // The item is answered when every field the server named in data-answered-by holds a value.
  function isAnswered(article) {
    var names = (article.dataset.answeredBy || "").split(" ").filter(Boolean);
    return names.length > 0 && names.every(function (name) { return holdsValue(article, name); });
  }

  function updateProgress(answered, total) {
    var bar = document.getElementById("progress");
    var text = document.getElementById("progress-text");
    bar.value = answered; bar.max = total;
    text.textContent = fill(text.dataset.text, {answered: answered, total: total});
    form.querySelectorAll("[data-section]").forEach(function (section) {
      var done = 0;
      section.querySelectorAll("[data-item]").forEach(function (article) {
        if (isAnswered(article)) done += 1;
      });
      section.querySelector("[data-section-answered]").textContent = done;
    });
  }

  function body(article) {
    var data = new FormData();
    var bytes = 0;
    article.querySelectorAll("input, textarea").forEach(function (el) {
      if (el.type !== "radio" || el.checked) { data.append(el.name, el.value); bytes += 3 * el.value.length; }
    });
    return {data: data, bytes: bytes};
  }

  function received(article, sent, response, data) {
    var st = stateOf(article);
    showErrors(article, data.errors);
    if (!response.ok) {
      st.failed = "refused";
      say(fill(words.notSaved, {reason: data.errors ? Object.values(data.errors).join(" ") : data.message || ""}));
      return;
    }
    if (st.sent === sent) st.failed = "";
    updateProgress(data.answered, data.total);
    // The time in the page's language (the expert's, not the browser's): <html lang> says which.
    var lang = document.documentElement.lang || [];
    say(fill(words.saved, {time: new Date().toLocaleTimeString(lang, {hour: "2-digit", minute: "2-digit"})}));
  }

  // Send one item's fields. ``leaving``: the page is going away, so nothing waits for the answer.
  function save(article, leaving) {
    var st = stateOf(article);
    var post = body(article);
    var sent = st.sent = st.edits;
    var keepalive = canKeepAlive && post.bytes < KEEPALIVE_BYTES;
    if (leaving && !keepalive && navigator.sendBeacon) {
      post.data.append("csrfmiddlewaretoken", csrf); // a beacon cannot carry the CSRF header
      navigator.sendBeacon(url, post.data);
      return Promise.resolve();
    }
    if (!leaving) say(words.saving);
    return fetch(url, {
      method: "POST", body: post.data, credentials: "same-origin", keepalive: keepalive,
      headers: {"X-CSRFToken": csrf, "Accept": "application/json"}
    }).then(function (response) {
      return response.json().catch(function () { return {message: String(response.status)}; }).then(function (data) {
        received(article, sent, response, data);
      });
    }).catch(function () {
      st.failed = "offline";
      say(words.offline);
    });
  }

  function schedule(article, delay) {
    var id = article.dataset.item;
    clearTimeout(timers[id]);
    delete timers[id];
    if (isWaitingForRating(article)) return; // kept on the page; sent with the rating (see showNote)
    timers[id] = setTimeout(function () {
      delete timers[id];
      queue = queue.then(function () { return save(article, false); });
    }, delay);
  }

  function edited(article, delay) {
    stateOf(article).edits += 1;
    showNote(article);
    schedule(article, delay);
  }

  // Send, at once, every item changed since its last save, without waiting for the pause.
  function flush() {
    if (submitting) return; // the form's post carries every field
    form.querySelectorAll("[data-item]").forEach(function (article) {
      var st = stateOf(article);
      if (isWaitingForRating(article)) return;
      if (st.edits > st.sent || st.failed === "offline") {
        clearTimeout(timers[article.dataset.item]);
        delete timers[article.dataset.item];
        save(article, true);
      }
    });
  }

  // What leaving would lose: a reason waiting for its rating, or a save that failed and was not redone.
  function hasUnsaved() {
    return Array.prototype.some.call(form.querySelectorAll("[data-item]"), function (article) {
      var st = stateOf(article);
      return (st.edits > 0 && isWaitingForRating(article)) || (st.failed !== "" && st.sent === st.edits);
    });
  }

  // Ask for a reason as soon as a rating leaves the panel's previous interquartile range: the
  // server marks each such point data-outside.
  function checkReason(article) {
    var prompt = article.querySelector(".reason-prompt");
    if (!prompt) return;
    var outside = article.querySelector("input[data-outside]:checked") !== null;
    prompt.hidden = !outside;
    article.classList.toggle("outside", outside);
    var required = article.querySelector("[data-reason-required]");
    var conditional = article.querySelector("[data-reason-conditional]");
    if (required && conditional) { required.hidden = !outside; conditional.hidden = outside; }
  }

  form.querySelectorAll("[data-item]").forEach(function (article) {
    // A reason shown again after a refused post is not saved: leaving would lose it.
    if (isWaitingForRating(article)) stateOf(article).edits = 1;
  });
  say(words.autosave);

  form.addEventListener("change", function (event) {
    var article = event.target.closest("[data-item]");
    if (!article) return;
    if (event.target.tagName === "TEXTAREA") { // left the field: save now what the pause would
      if (timers[article.dataset.item]) schedule(article, 0);
      return;
    }
    checkReason(article);
    edited(article, 0);
  });
  form.addEventListener("input", function (event) {
    var article = event.target.closest("[data-item]");
    if (article && event.target.tagName === "TEXTAREA") edited(article, 1200);
  });
  form.addEventListener("submit", function () { // the post carries every field: no autosave races it
    submitting = true;
    Object.keys(timers).forEach(function (id) { clearTimeout(timers[id]); delete timers[id]; });
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush();
  });
  window.addEventListener("pagehide", flush);
  window.addEventListener("beforeunload", function (event) {
    if (submitting) return;
    flush();
    if (hasUnsaved()) { event.preventDefault(); event.returnValue = ""; }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) submitting = false; // back from the history cache: the page is live again
  });
})();
