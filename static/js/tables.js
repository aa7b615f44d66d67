// Sortable public tables: sortable-tablesort (npm) sorts a table.sortable when a header cell is
// clicked and marks it with aria-sort. This gives each header a real <button> so keyboards and
// screen readers can reach it, and says in the page's language what a press does.
(function () {
  "use strict";
  var english = document.documentElement.lang === "en";
  var label = function (name, direction) {
    if (english) return "Sort by " + name + (direction === "descending" ? ", ascending" : ", descending");
    return "Urutkan menurut " + name + (direction === "descending" ? ", dari kecil" : ", dari besar");
  };
  document.querySelectorAll("table.sortable thead th").forEach(function (th) {
    if (th.classList.contains("no-sort") || th.querySelector("button")) return;
    var name = th.textContent.trim();
    var button = document.createElement("button");
    button.type = "button";
    button.className = "sort-button";
    button.textContent = name;
    button.setAttribute("aria-label", label(name, null));
    th.textContent = "";
    th.appendChild(button);
  });
  document.addEventListener("sort-end", function (event) {
    event.target.querySelectorAll("thead th").forEach(function (th) {
      var button = th.querySelector("button.sort-button");
      if (button) button.setAttribute("aria-label", label(button.textContent, th.getAttribute("aria-sort")));
    });
  });
})();
