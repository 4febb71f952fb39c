// tabadol newsroom: live updates of the wire and copy buttons. Everything works without this file
// (the wire has a refresh link, the texts are selectable); it only adds what a script does better.
"use strict";
(function () {
  // -- live wire: Server-Sent Events from /{lang}/newsroom/wire/stream -----------------------------
  function startLiveWire() {
    var list = document.querySelector("ol.wire-list[data-stream]");
    var status = document.querySelector(".wire-live-status");
    if (!list || !window.EventSource) return;
    var source = new EventSource(list.getAttribute("data-stream"));
    var empty = document.querySelector(".wire-empty");

    function say(text, live) {
      if (!status) return;
      status.textContent = text || "";
      status.classList.toggle("is-live", !!live);
    }

    function fragment(html) {
      var template = document.createElement("template");
      template.innerHTML = html;  // rendered and escaped by the server, like the page itself
      return template.content;
    }

    function removeRow(id) {
      var rows = list.querySelectorAll("li.wire-item");
      for (var i = 0; i < rows.length; i++) {
        if (rows[i].getAttribute("data-item-id") === id) rows[i].remove();
      }
    }

    source.addEventListener("open", function () { say(status && status.dataset.live, true); });
    source.addEventListener("item", function (event) {
      var data = JSON.parse(event.data);
      removeRow(data.id);  // a correction replaces the row it corrects
      var content = fragment(data.html);
      var row = content.querySelector("li.wire-item");
      if (row) row.classList.add("is-new");
      list.insertBefore(content, list.firstChild);
      if (empty) empty.hidden = true;
      say(status && status.dataset.arrived, true);
    });
    source.addEventListener("kill", function (event) {
      var data = JSON.parse(event.data);
      removeRow(data.id);
      if (data.taken && data.html) {
        var kills = document.querySelector("ul.kill-list");
        if (kills) kills.insertBefore(fragment(data.html), kills.firstChild);
      }
    });
    source.addEventListener("error", function () {
      // EventSource reconnects by itself (resuming after the last event); say so while it is down.
      if (source.readyState !== EventSource.OPEN) say(status && status.dataset.paused, false);
    });
  }

  // -- copy buttons: shown only where the clipboard can be written ----------------------------------
  function startCopyButtons() {
    if (!navigator.clipboard) return;
    var buttons = document.querySelectorAll("button.copy-button[data-copy]");
    buttons.forEach(function (button) {
      button.hidden = false;
      var label = button.textContent;
      button.addEventListener("click", function () {
        var field = document.getElementById(button.getAttribute("data-copy"));
        if (!field) return;
        navigator.clipboard.writeText(field.value).then(function () {
          button.textContent = button.getAttribute("data-copied") || label;
          window.setTimeout(function () { button.textContent = label; }, 2000);
        });
      });
    });
  }

  startLiveWire();
  startCopyButtons();
})();
