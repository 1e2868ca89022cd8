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
