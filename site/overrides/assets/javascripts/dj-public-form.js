/* Public feedback forms (群众心声 …) on the static site: partials/dj-form.html renders the
 * form from the page's published definition; this script posts the answers as JSON to
 * /api/forms/<id>/submissions/ (same origin, no log-in, no cookie needed) and puts the
 * server's Chinese messages where they belong: next to the field, or above the form for
 * refusals (closed, too frequent, too large).
 *
 * The honeypot `website` goes along as it is (empty for people). Every message is set as
 * text. ES2017, no framework (WeChat's in-app browsers).
 */
(function () {
  "use strict";

  var form = document.getElementById("dj-public-form");
  if (!form || !window.fetch || !window.JSON) return;

  var endpoint = form.getAttribute("data-endpoint");
  var summary = document.getElementById("dj-public-form-summary");
  var statusEl = document.getElementById("dj-public-form-status");
  var thanks = document.getElementById("dj-public-form-thanks");
  var trap = document.getElementById("dj-public-form-website");
  var submit = form.querySelector("button[type=submit]");
  var fields = Array.prototype.slice.call(form.querySelectorAll("[data-field]"));
  var SUBMIT_TEXT = submit.textContent;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined) return;
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function formatDateTime(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?/.exec(iso || "");
    if (!m) return "";
    var date = m[1] + "年" + parseInt(m[2], 10) + "月" + parseInt(m[3], 10) + "日";
    var time = Date.parse(iso);
    if (m[4] && !isNaN(time)) {
      // Shown in the visitor's own clock: the stored value carries its offset.
      var d = new Date(time);
      date = d.getFullYear() + "年" + (d.getMonth() + 1) + "月" + d.getDate() + "日 " +
        ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
    }
    return date;
  }

  function inputsOf(wrapper) {
    return Array.prototype.slice.call(wrapper.querySelectorAll("input, textarea, select"));
  }

  function valueOf(wrapper) {
    var type = wrapper.getAttribute("data-type");
    var inputs = inputsOf(wrapper);
    if (type === "checkboxes") return inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
    if (type === "radio" || type === "rating") {
      var checked = inputs.filter(function (i) { return i.checked; })[0];
      if (!checked) return type === "rating" ? null : "";
      return type === "rating" ? parseInt(checked.value, 10) : checked.value;
    }
    return inputs.length ? inputs[0].value : "";
  }

  function labelOf(wrapper) {
    var label = wrapper.querySelector("legend, label");
    return label ? label.textContent.replace(/\s*\*\s*（必答）\s*$/, "").replace(/（必答）/, "").replace(/\s*\*\s*$/, "").trim() : "";
  }

  function errorOf(wrapper) {
    return document.getElementById("dj-q-" + wrapper.getAttribute("data-field") + "-error");
  }

  function focusTarget(wrapper) {
    return inputsOf(wrapper)[0] || wrapper;
  }

  function answers() {
    var result = {};
    fields.forEach(function (wrapper) { result[wrapper.getAttribute("data-field")] = valueOf(wrapper); });
    return result;
  }

  function problemOf(wrapper, value) {
    var type = wrapper.getAttribute("data-type");
    var empty = value === null || value === "" || (Array.isArray(value) && !value.length);
    if (empty) {
      if (!wrapper.hasAttribute("data-required")) return null;
      // The server's wording (cms/feedback/services.py REQUIRED_MESSAGES).
      var label = labelOf(wrapper);
      if (type === "rating") return "请为“" + label + "”评分。";
      return ["radio", "checkboxes", "dropdown"].indexOf(type) >= 0 ? "请选择“" + label + "”。" : "请填写“" + label + "”。";
    }
    var input = inputsOf(wrapper)[0];
    if (type === "number") {
      var n = Number(value);
      if (!isFinite(n)) return "请输入数字。";
      if (input.hasAttribute("min") && n < Number(input.getAttribute("min"))) return "不能小于 " + input.getAttribute("min") + "。";
      if (input.hasAttribute("max") && n > Number(input.getAttribute("max"))) return "不能大于 " + input.getAttribute("max") + "。";
    }
    if ((type === "singleline" || type === "multiline") && input.hasAttribute("maxlength") &&
        String(value).length > Number(input.getAttribute("maxlength"))) {
      return "最多 " + input.getAttribute("maxlength") + " 个字。";
    }
    if (type === "date" && !/^\d{4}-\d{2}-\d{2}$/.test(value)) return "请按“年-月-日”填写日期。";
    return null;
  }

  function clearErrors() {
    summary.hidden = true;
    summary.textContent = "";
    fields.forEach(function (wrapper) {
      var error = errorOf(wrapper);
      if (error) error.textContent = "";
      inputsOf(wrapper).forEach(function (i) { i.removeAttribute("aria-invalid"); });
    });
  }

  // Per-field messages under their fields and as links in a list above the form; a general
  // refusal as the list's text. Focus goes to the first field to fix (or to the list).
  function showErrors(errors, general) {
    clearErrors();
    var byName = {};
    fields.forEach(function (wrapper) { byName[wrapper.getAttribute("data-field")] = wrapper; });
    var list = el("ul", { class: "dj-forms-summary__list" });
    var first = null;
    var count = 0;
    fields.forEach(function (wrapper) {
      var name = wrapper.getAttribute("data-field");
      if (!errors[name]) return;
      var text = [].concat(errors[name]).join(" ");
      var error = errorOf(wrapper);
      if (error) error.textContent = text;
      inputsOf(wrapper).forEach(function (i) { i.setAttribute("aria-invalid", "true"); });
      var target = focusTarget(wrapper);
      if (!first) first = target;
      count += 1;
      list.appendChild(el("li", null, [el("a", {
        href: "#" + target.id, text: text.indexOf(labelOf(wrapper)) >= 0 ? text : labelOf(wrapper) + "：" + text,
        onclick: function (event) { event.preventDefault(); target.focus(); }
      })]));
    });
    Object.keys(errors).forEach(function (name) {
      if (byName[name]) return;
      count += 1;
      list.appendChild(el("li", { text: [].concat(errors[name]).join(" ") }));
    });
    summary.appendChild(el("h2", { class: "dj-forms-summary__title", text: count ? "请修改以下 " + count + " 处问题后再提交" : "未能提交" }));
    if (general) summary.appendChild(el("p", { text: general }));
    if (count) summary.appendChild(list);
    summary.hidden = false;
    if (first) first.focus();
    else summary.focus();
  }

  function closedNow() {
    var closes = Date.parse(form.getAttribute("data-closes-at") || "");
    return !isNaN(closes) && closes <= Date.now();
  }

  function notYetOpen() {
    var opens = Date.parse(form.getAttribute("data-opens-at") || "");
    return !isNaN(opens) && opens > Date.now();
  }

  function refuse(text) {
    summary.textContent = "";
    summary.appendChild(el("p", { text: text }));
    summary.hidden = false;
    submit.disabled = true;
  }

  var dates = form.querySelector("[data-dj-closes]");
  if (dates) dates.textContent = "截止时间：" + formatDateTime(form.getAttribute("data-closes-at"));
  if (closedNow()) { refuse("本问卷已截止，不再接受提交。感谢您的关注。"); return; }
  if (notYetOpen()) { refuse("本问卷尚未开始，" + formatDateTime(form.getAttribute("data-opens-at")) + " 起可以提交。"); return; }
  submit.disabled = false;

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    if (submit.disabled) return;
    var values = answers();
    var errors = {};
    fields.forEach(function (wrapper) {
      var problem = problemOf(wrapper, values[wrapper.getAttribute("data-field")]);
      if (problem) errors[wrapper.getAttribute("data-field")] = [problem];
    });
    if (Object.keys(errors).length) { showErrors(errors); return; }
    clearErrors();
    submit.disabled = true;
    submit.textContent = "正在提交…";
    statusEl.textContent = "正在提交…";
    var response = null;
    var data = null;
    try {
      response = await fetch(endpoint, {
        method: "POST", credentials: "omit", cache: "no-store",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify({ answers: values, website: trap ? trap.value : "" })
      });
      try { data = await response.json(); } catch (e) { data = null; }
    } catch (e) {
      response = null;
    }
    submit.textContent = SUBMIT_TEXT;
    statusEl.textContent = "";
    if (response && response.ok) {
      form.hidden = true;
      var detail = thanks.querySelector("[data-dj-thanks-detail]");
      if (detail && data && data.detail) detail.textContent = data.detail;
      thanks.hidden = false;
      thanks.focus();
      return;
    }
    submit.disabled = false;
    if (!response) { showErrors({}, "网络连接失败，您的留言尚未提交。请检查网络后再次点击“提交”，填写的内容仍在页面上。"); return; }
    var code = data && data.code;
    var text = data && data.detail;
    if (response.status === 429) { showErrors({}, text || "提交过于频繁，请稍后再试。"); return; }
    if (response.status === 413) { showErrors({}, text || "提交的内容过长，请删减后再试。"); return; }
    if (code === "closed") { refuse(text || "本问卷已截止，不再接受提交。"); summary.focus(); return; }
    if (response.status === 404) { refuse("本问卷已下线，不再接受提交。"); summary.focus(); return; }
    if (code === "invalid" && data.fields && Object.keys(data.fields).length) { showErrors(data.fields, text); return; }
    showErrors({}, text || (response.status >= 500
      ? "服务器暂时无法处理，请稍后再试（错误 " + response.status + "）。"
      : "提交未能完成（错误 " + response.status + "）。"));
  });
})();
