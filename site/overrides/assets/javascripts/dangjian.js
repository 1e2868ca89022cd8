// Material wraps wide tables in a horizontally scrollable box; keyboard users can only
// scroll it if it can take focus, and screen readers need to know what the region is.
function labelScrollableTables() {
  document.querySelectorAll(".md-typeset__scrollwrap").forEach(function (wrap) {
    if (wrap.hasAttribute("tabindex")) return;
    wrap.setAttribute("tabindex", "0");
    wrap.setAttribute("role", "region");
    var caption = wrap.querySelector("caption");
    wrap.setAttribute("aria-label", caption ? caption.textContent.trim() : "表格（可左右滑动）");
  });
}
if (typeof document$ !== "undefined") {
  document$.subscribe(labelScrollableTables);
} else {
  document.addEventListener("DOMContentLoaded", labelScrollableTables);
}

// Site search (partials/dj-search.html): dj-search.js and the index are fetched on the first
// focus of or input into the box, never on page load. A file, not an inline script: the
// site's Content-Security-Policy allows scripts from the site itself only.
(function () {
  var d = document, loaded = false;
  var root = d.querySelector("[data-dj-search-src]");
  var box = d.getElementById("dj-search-input"), toggle = d.getElementById("__search");
  if (!root) return;
  function load() {
    if (loaded) return;
    loaded = true;
    var s = d.createElement("script");
    s.src = root.getAttribute("data-dj-search-src");
    d.body.appendChild(s);
  }
  if (box) { box.addEventListener("focus", load); box.addEventListener("input", load); }
  if (toggle) toggle.addEventListener("change", function () { if (toggle.checked) load(); });
})();
