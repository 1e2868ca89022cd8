// Material's search overlay has role="dialog" but no accessible name, and its
// partial can only be replaced by copying it; naming it here keeps the theme untouched.
document.querySelectorAll(".md-search[role=dialog]").forEach(function (el) {
  if (!el.hasAttribute("aria-label")) el.setAttribute("aria-label", "站内搜索");
});

// Material re-runs the query on keyup only. Chinese text often arrives without one:
// pasted from WeChat's long-press menu, or committed by an IME as a plain input event.
// Forward such input as a keyup so results follow what is in the box.
document.querySelectorAll(".md-search__input").forEach(function (input) {
  input.addEventListener("input", function (event) {
    if (!event.isComposing) input.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true }));
  });
});

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
