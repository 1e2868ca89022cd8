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

// Share block (partials/dj-share.html): "复制链接" copies the page's address. The clipboard
// API needs a secure context and is missing in some in-app browsers (WeChat on older
// phones); then the address is selected so a long press or Ctrl+C copies it.
(function () {
  var d = document;
  d.querySelectorAll("[data-dj-copy]").forEach(function (button) {
    var field = d.getElementById(button.getAttribute("data-dj-copy"));
    var status = button.closest(".dj-share") && button.closest(".dj-share").querySelector(".dj-share__status");
    if (!field) return;
    button.hidden = false;
    function say(text) { if (status) status.textContent = text; }
    function selectByHand() {
      field.focus();
      field.select();
      field.setSelectionRange(0, field.value.length);
      var copied = false;
      try { copied = d.execCommand("copy"); } catch (e) { copied = false; }
      say(copied ? "链接已复制，可以粘贴到微信或其他应用。" : "已选中链接，请长按或按 Ctrl+C 复制。");
    }
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(function () {
          say("链接已复制，可以粘贴到微信或其他应用。");
        }, selectByHand);
      } else {
        selectByHand();
      }
    });
  });
})();
