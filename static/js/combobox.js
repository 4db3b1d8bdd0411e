/* Suggestions for the catalogue's search box: the ARIA 1.2 combobox pattern with a
   listbox popup (https://www.w3.org/WAI/ARIA/apg/patterns/combobox/).
   Without JavaScript the box is a plain search form; with it, typing two letters or
   more lists titles and authors (catalogue:complete). Down/Up move through the list
   (aria-activedescendant; focus stays in the box), Enter opens the highlighted
   suggestion or searches what was typed, Escape closes the list (a second Escape
   clears the box), Tab leaves it closed. A live region says how many suggestions there
   are. No inline script: the Content-Security-Policy forbids it. */
(function () {
  "use strict";
  var DELAY = 150;
  var KINDS = { titre: "titre", auteur: "auteur" };

  function setup(input) {
    var list = document.getElementById(input.id + "-suggestions");
    var live = document.getElementById(input.id + "-annonce");
    var help = input.form.querySelector("[data-combobox-help]");
    if (!list) { return; }
    var timer = null;
    var controller = null;
    var active = -1;
    var options = [];
    var lastQuery = "";

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    if (help) { help.hidden = false; }

    function close() {
      list.hidden = true;
      if (live) { live.textContent = ""; }
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(suggestions) {
      list.textContent = "";
      options = suggestions.map(function (suggestion, i) {
        var option = document.createElement("li");
        option.id = input.id + "-option-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.url = suggestion.url;
        var label = document.createElement("span");
        label.textContent = suggestion.label;
        var kind = document.createElement("span");
        kind.className = "combobox-kind";
        kind.textContent = " (" + (KINDS[suggestion.kind] || suggestion.kind) + ")";
        option.appendChild(label);
        option.appendChild(kind);
        option.addEventListener("mousedown", function (event) { event.preventDefault(); });
        option.addEventListener("click", function () { window.location.assign(option.dataset.url); });
        list.appendChild(option);
        return option;
      });
      active = -1;
      if (options.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
      if (live) {
        live.textContent = options.length
          ? options.length + (options.length > 1 ? " suggestions" : " suggestion") + " disponible" + (options.length > 1 ? "s" : "") + "."
          : "";
      }
    }

    function fetchSuggestions() {
      var query = input.value.trim();
      if (query === lastQuery) { return; }
      lastQuery = query;
      if (query.length < 2) { show([]); return; }
      if (controller) { controller.abort(); }
      controller = new AbortController();
      var url = input.dataset.completeUrl + "?q=" + encodeURIComponent(query);
      fetch(url, { headers: { Accept: "application/json" }, signal: controller.signal })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) { if (input.value.trim() === query) { show(data.suggestions || []); } })
        .catch(function () { /* suggestions are a help: the search still works */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, DELAY);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && options.length > 0;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { lastQuery = ""; fetchSuggestions(); return; }
        highlight(active + 1 < options.length ? active + 1 : 0);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (open) { highlight(active > 0 ? active - 1 : options.length - 1); }
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          window.location.assign(options[active].dataset.url);
        }
      } else if (event.key === "Escape") {
        if (open) { event.preventDefault(); close(); } else if (input.value) { event.preventDefault(); input.value = ""; lastQuery = ""; }
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-combobox]"), setup);
  });
})();
