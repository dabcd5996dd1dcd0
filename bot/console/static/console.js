// Signpost console: keyboard shortcuts in the inbox, and a page title that says when a new
// safety alert arrives. Everything works without this script; it only saves clicks.
(function () {
  "use strict";

  function typing(target) {
    return target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  var groups = Array.prototype.slice.call(document.querySelectorAll(".group"));
  var current = -1;

  function focusGroup(i) {
    if (!groups.length) { return; }
    if (current >= 0) { groups[current].classList.remove("current"); }
    current = Math.max(0, Math.min(groups.length - 1, i));
    groups[current].classList.add("current");
    groups[current].focus();
  }

  document.addEventListener("keydown", function (event) {
    if (typing(event.target) || event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (!groups.length) { return; }
    var group = current >= 0 ? groups[current] : null;
    if (event.key === "j") { focusGroup(current + 1); }
    else if (event.key === "k") { focusGroup(current - 1); }
    else if (event.key === "x" && group) {
      var box = group.querySelector("input[type=checkbox]");
      box.checked = !box.checked;
    } else if (event.key === "e" && group) {
      group.querySelector("input[name=text]").focus();
    } else if (event.key === "i") {
      var button = document.getElementById("ignore-selected");
      if (button) { button.click(); }
    } else { return; }
    event.preventDefault();
  });

  var url = document.body.getAttribute("data-alerts-url");
  if (url) {
    var seen = parseInt(document.body.getAttribute("data-alerts") || "0", 10);
    var title = document.title;
    var every = parseInt(document.body.getAttribute("data-alerts-poll") || "20", 10);
    window.setInterval(function () {
      fetch(url, {credentials: "same-origin"}).then(function (r) {
        return r.ok ? r.json() : null;
      }).then(function (data) {
        if (!data) { return; }
        if (data.unread > seen) {
          document.title = "(" + data.unread + ") New safety alert – " + title;
        } else if (data.unread === 0) {
          document.title = title;
        }
      }).catch(function () {});
    }, Math.max(1, every) * 1000);
  }
}());
