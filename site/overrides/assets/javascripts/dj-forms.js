/* 我的问卷 — feedback forms in the member area (views "forms" and "form").
 *
 * Plugs into dj-member.js through window.DJMember (docs: the member-area registry). The
 * forms come from /api/member/forms/ as JSON definitions (the contract in
 * docs/member-api.md); this script builds the form from them with DOM calls only: every
 * label, help text and choice an editor typed is set as text, never parsed as HTML.
 *
 * ES2017 and no framework, like dj-member.js: WeChat's in-app browsers are not always recent.
 *
 * Drafts: every change is kept in localStorage (per person and form, so a shared phone does
 * not show one member's answers to another) and, debounced, on the server (PUT draft/). When
 * the network is gone the page says so, keeps the local copy and saves to the server again on
 * the `online` event. On load the newer of the local and the server draft wins.
 *
 * Submitting sends a submission_key (a UUID made once per attempt and kept, also across a
 * reload, until the server has answered): a retry after a lost connection cannot create a
 * second response.
 */
(function () {
  "use strict";

  var M = window.DJMember;
  if (!M) return;
  var el = M.el;
  var root = document.getElementById("dj-member");
  var API = root ? root.getAttribute("data-api") : "/api/member/";

  var SAVE_DELAY_MS = 1500;
  var OFFLINE_TEXT = "网络已断开，您的填写已保存在本机，恢复网络后会自动保存";
  var RATING_LABELS = ["非常不满意", "不满意", "一般", "满意", "非常满意"];
  var KIND_DEFAULT_THANKS = "提交成功，感谢您的参与。";

  // ------------------------------------------------------------------ small helpers

  function uuid4() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function csrfToken() {
    var match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function formatBytes(bytes) {
    if (bytes >= 1024 * 1024) return (Math.round(bytes / 104857.6) / 10) + " MB";
    if (bytes >= 1024) return Math.round(bytes / 1024) + " KB";
    return bytes + " 字节";
  }

  // A field name as part of an element id: clean_name is already [a-z0-9_], but ids must
  // never depend on that promise.
  function idPart(name) { return String(name).replace(/[^A-Za-z0-9_-]/g, "_"); }

  function storageKey(formId) {
    var me = M.me() || {};
    return "dj-forms:" + (me.id || me.username || "anon") + ":" + formId;
  }

  function loadLocal(formId) {
    try {
      var raw = window.localStorage.getItem(storageKey(formId));
      var data = raw ? JSON.parse(raw) : null;
      return data && typeof data === "object" ? data : null;
    } catch (e) { return null; }
  }

  function saveLocal(formId, data) {
    try { window.localStorage.setItem(storageKey(formId), JSON.stringify(data)); return true; } catch (e) { return false; }
  }

  function clearLocal(formId) {
    try { window.localStorage.removeItem(storageKey(formId)); } catch (e) { /* storage off */ }
  }

  function timeOf(iso) {
    var t = iso ? Date.parse(iso) : NaN;
    return isNaN(t) ? 0 : t;
  }

  function isNetworkError(error) {
    return !error || !error.status || error.code === "network";
  }

  function stateBadge(form) {
    var list = el("ul", { class: "dj-badges", "aria-label": "问卷信息" });
    function add(text, kind) { list.appendChild(el("li", { class: "dj-badge dj-badge--" + kind, text: text })); }
    if (form.kind_label) add(form.kind_label, "optional");
    if (form.anonymous) add("匿名", "forms-anonymous");
    if (form.state === "upcoming") add("未开始", "state-not_started");
    else if (form.state === "open") add(form.has_draft ? "已保存草稿" : "待填写", "state-in_progress");
    else if (form.state === "answered") add("已提交", "state-completed");
    else if (form.state === "closed") add(form.submitted_at ? "已提交" : "未提交", form.submitted_at ? "state-completed" : "state-not_started");
    return list;
  }

  function datesLine(form) {
    var parts = [];
    if (form.state === "upcoming" && form.opens_at) parts.push(M.formatDateTime(form.opens_at) + " 开始");
    if (form.closes_at) parts.push((form.state === "closed" ? "已于 " : "截止 ") + M.formatDateTime(form.closes_at) + (form.state === "closed" ? " 结束" : ""));
    else if (form.state !== "closed") parts.push("不限截止时间");
    if (form.submitted_at) {
      parts.push("提交于 " + (form.submitted_at.length > 10 ? M.formatDateTime(form.submitted_at) : M.formatDate(form.submitted_at)));
    }
    return el("p", { class: "dj-forms-card__dates", text: parts.join("，") });
  }

  // ------------------------------------------------------------------ view: the list

  M.register("forms", async function () {
    M.setTitle("我的问卷");
    M.setCrumbs([{ text: "我的问卷", href: M.url("forms") }]);
    M.setStatus("正在加载我的问卷…");
    var forms = await M.request("GET", "forms/");
    forms = Array.isArray(forms) ? forms : (forms && forms.results) || [];
    var groups = [
      { key: "open", title: "进行中", states: ["open", "upcoming"], empty: "目前没有需要您填写的问卷。" },
      { key: "answered", title: "已提交", states: ["answered"], empty: "您还没有提交过进行中的问卷。" },
      { key: "closed", title: "已结束", states: ["closed"], empty: "没有已结束的问卷。" }
    ];
    var sections = groups.map(function (group) {
      var mine = forms.filter(function (f) { return group.states.indexOf(f.state) >= 0; });
      var list = el("ol", { class: "dj-cards" });
      mine.forEach(function (form) {
        var title = form.state === "upcoming"
          ? el("span", { text: form.title })
          : el("a", { href: M.url("form", form.id), text: form.title });
        list.appendChild(el("li", { class: "dj-card dj-forms-card", "data-form-id": String(form.id) }, [
          el("h3", { class: "dj-card__title" }, [title]),
          stateBadge(form),
          datesLine(form)
        ]));
      });
      var headingId = "dj-forms-group-" + group.key;
      return el("section", { class: "dj-section dj-forms-group", "data-group": group.key, "aria-labelledby": headingId }, [
        el("h2", { id: headingId, text: group.title + "（" + mine.length + "）" }),
        mine.length ? list : el("p", { class: "dj-empty", text: group.empty })
      ]);
    });
    M.replaceBody([M.accountBar()].concat(sections));
    M.setStatus("");
  }, { what: "页面" });

  // ------------------------------------------------------------------ view: one form

  // (needsId: the core says "链接不完整" for a missing or malformed ?id=; a 404 becomes its
  // "没有找到这个问卷" with a link back to 我的问卷.)
  M.register("form", async function (ctx) {
    var id = ctx.id;
    M.setCrumbs([{ text: "我的问卷", href: M.url("forms") }]);
    M.setStatus("正在加载问卷…");
    var form = await M.request("GET", "forms/" + id + "/");
    M.setTitle(form.title);
    M.setAlert("");
    M.setStatus("");
    if (form.state === "closed") showClosed(form);
    else if (form.state === "upcoming") showUpcoming(form);
    else if (form.state === "answered" || form.submitted_at) showSubmitted(form, false);
    else showForm(form, null);
  }, { what: "问卷", needsId: true, back: "forms", backTitle: "我的问卷" });

  function backLink() {
    return el("p", null, [el("a", { class: "dj-button", href: M.url("forms"), text: "返回我的问卷" })]);
  }

  function intro(form) {
    return [
      stateBadge(form),
      datesLine(form),
      form.intro ? el("p", { class: "dj-lead dj-forms-intro", text: form.intro }) : null
    ];
  }

  function showClosed(form) {
    M.replaceBody([M.accountBar()].concat(intro(form), [
      el("p", { class: "dj-empty", text: form.submitted_at ? "本问卷已结束，您已提交过答卷。感谢您的参与。" : "本问卷已结束，不再接受填写。" }),
      backLink()
    ]));
  }

  function showUpcoming(form) {
    M.replaceBody([M.accountBar()].concat(intro(form), [
      el("p", { class: "dj-empty", text: "本问卷尚未开始" + (form.opens_at ? "，" + M.formatDateTime(form.opens_at) + " 起可以填写" : "") + "。" }),
      backLink()
    ]));
  }

  function changeable(form) {
    return !!(form.allow_change && !form.anonymous && form.state !== "closed");
  }

  function showSubmitted(form, justNow) {
    var thanks = el("div", { class: "dj-forms-thanks", tabindex: "-1" }, [
      el("p", { class: "dj-forms-thanks__title" }, [el("strong", { text: justNow ? "✓ 提交成功" : "✓ 您已提交本问卷" })]),
      el("p", { text: form.thank_you_text || KIND_DEFAULT_THANKS }),
      form.submitted_at ? el("p", { class: "dj-form__hint", text: "提交时间：" +
        (form.submitted_at.length > 10 ? M.formatDateTime(form.submitted_at) : M.formatDate(form.submitted_at)) }) : null,
      form.anonymous ? el("p", { class: "dj-form__hint", text: "本问卷为匿名问卷，您的答卷不与您的姓名关联，因此无法查看或修改。" }) : null
    ]);
    var change = changeable(form) ? el("p", null, [el("button", {
      type: "button", class: "dj-button dj-button--primary dj-button--block", text: "修改答卷",
      onclick: function () { showForm(form, form.answers || {}); M.setStatus("您可以修改答卷，修改后请再次提交。"); }
    })]) : null;
    M.replaceBody([M.accountBar()].concat(intro(form), [thanks, change, backLink()]));
    if (justNow) thanks.focus();
  }

  // ------------------------------------------------------------------ building the form

  function showForm(form, submittedAnswers) {
    var fields = (form.fields || []).filter(function (f) { return f && f.name; });
    var controls = {};   // field name → { field, get(), set(value), focusTarget, error, wrapper }
    var local = loadLocal(form.id);
    var serverDraft = form.draft || null;
    var pendingKey = local && local.submission_key ? local.submission_key : null;
    var fileNames = (local && local.files) || {};

    var summary = el("div", { class: "dj-forms-summary", tabindex: "-1", hidden: true, "aria-labelledby": "dj-forms-summary-title" });
    var saveLine = el("p", { class: "dj-forms-save", "aria-live": "polite", id: "dj-forms-save" });
    var submit = el("button", { type: "submit", class: "dj-button dj-button--primary dj-button--block", text: submittedAnswers ? "提交修改" : "提交问卷" });
    var formNode = el("form", { class: "dj-form dj-forms-form", novalidate: true, "aria-label": form.title });

    formNode.appendChild(summary);
    if (form.anonymous) {
      formNode.appendChild(el("p", { class: "dj-forms-notice dj-forms-notice--anonymous", text:
        "本问卷为匿名问卷：提交后，您的答案不会与您的姓名关联，组织上只知道您已参与。提交后无法查看或修改答卷。" }));
    } else if (!form.allow_change) {
      formNode.appendChild(el("p", { class: "dj-forms-notice", text: "提交后不能修改，请确认后再提交。" }));
    } else {
      formNode.appendChild(el("p", { class: "dj-forms-notice", text: "提交后，截止前仍可以修改答卷。" }));
    }
    formNode.appendChild(el("p", { class: "dj-form__hint", text: "带 * 的为必答题。填写内容会自动保存为草稿。" }));

    fields.forEach(function (field) {
      var node = buildField(field, controls, form, fileNames, changed);
      if (node) formNode.appendChild(node);
    });
    formNode.appendChild(saveLine);
    formNode.appendChild(submit);

    // Start from the newest of: the local copy, the server's draft, the submitted answers.
    var start = submittedAnswers || null;
    var startTime = 0;
    if (serverDraft && serverDraft.answers && timeOf(serverDraft.saved_at) >= startTime) {
      start = serverDraft.answers; startTime = timeOf(serverDraft.saved_at);
    }
    var localNewer = local && local.answers && timeOf(local.saved_at) > startTime;
    if (localNewer) start = local.answers;
    if (start) fill(start);

    M.replaceBody([M.accountBar()].concat(intro(form), [formNode, backLink()]));

    var mine = M.current();
    var saveTimer = null;
    var saving = false;
    var dirtyServer = !!localNewer;   // the local copy has something the server lacks
    var offline = false;

    function answers() {
      var result = {};
      Object.keys(controls).forEach(function (name) {
        var value = controls[name].get();
        if (value !== undefined) result[name] = value;
      });
      return result;
    }

    function fill(values) {
      Object.keys(controls).forEach(function (name) {
        if (Object.prototype.hasOwnProperty.call(values, name)) controls[name].set(values[name]);
      });
    }

    function keepLocal() {
      saveLocal(form.id, { answers: answers(), saved_at: new Date().toISOString(), submission_key: pendingKey, files: fileNames });
    }

    function showOffline() {
      offline = true;
      saveLine.textContent = OFFLINE_TEXT;
      saveLine.className = "dj-forms-save dj-forms-save--offline";
    }

    async function saveServer() {
      saveTimer = null;
      if (M.current() !== mine || !dirtyServer) return;
      if (saving) { schedule(); return; }
      if (navigator.onLine === false) { showOffline(); return; }
      saving = true;
      dirtyServer = false;
      try {
        var result = await M.request("PUT", "forms/" + form.id + "/draft/", { answers: answers() });
        if (M.current() !== mine) return;
        offline = false;
        saveLine.className = "dj-forms-save";
        saveLine.textContent = "草稿已自动保存" + (result && result.saved_at ? "（" + M.formatDateTime(result.saved_at).slice(-5) + "）" : "") + "。";
      } catch (error) {
        dirtyServer = true;
        if (M.current() !== mine) return;
        if (isNetworkError(error)) { showOffline(); return; }
        if (M.isExpired(error)) { M.handleError(error); return; }
        if (error.code === "closed" || error.code === "already_submitted") {
          saveLine.textContent = "";
          M.setAlert(error.detail);
          dirtyServer = false;
          return;
        }
        saveLine.className = "dj-forms-save dj-forms-save--offline";
        saveLine.textContent = "草稿未能保存到服务器（" + (error.detail || "请稍后再试") + "），已保存在本机。";
      } finally {
        saving = false;
      }
    }

    function schedule() {
      clearTimeout(saveTimer);
      saveTimer = setTimeout(saveServer, SAVE_DELAY_MS);
    }

    function changed() {
      if (M.current() !== mine) return;
      dirtyServer = true;
      keepLocal();
      if (navigator.onLine === false) showOffline();
      else if (!offline) { saveLine.className = "dj-forms-save"; saveLine.textContent = "正在保存草稿…"; }
      schedule();
    }

    function onOnline() {
      if (M.current() !== mine) { window.removeEventListener("online", onOnline); return; }
      if (dirtyServer) { saveLine.textContent = "网络已恢复，正在保存草稿…"; saveServer(); }
    }
    function onOffline() {
      if (M.current() !== mine) { window.removeEventListener("offline", onOffline); return; }
      showOffline();
    }
    window.addEventListener("online", onOnline);
    window.addEventListener("offline", onOffline);

    formNode.addEventListener("input", changed);
    formNode.addEventListener("change", changed);

    // A local copy newer than the server's: send it now rather than on the next keystroke.
    if (dirtyServer) schedule();
    if (localNewer) saveLine.textContent = "已恢复您在本机上次填写的内容。";

    // ---------------------------------------------------------------- errors

    function clearErrors() {
      summary.hidden = true;
      summary.textContent = "";
      Object.keys(controls).forEach(function (name) {
        var c = controls[name];
        c.error.textContent = "";
        c.inputs().forEach(function (input) { input.removeAttribute("aria-invalid"); });
      });
    }

    function showErrors(errors, general) {
      clearErrors();
      var names = fields.map(function (f) { return f.name; }).filter(function (n) { return errors[n] && controls[n]; });
      var unknown = Object.keys(errors).filter(function (n) { return !controls[n]; });
      var items = el("ul", { class: "dj-forms-summary__list" });
      names.forEach(function (name) {
        var c = controls[name];
        var text = [].concat(errors[name]).join(" ");
        c.error.textContent = text;
        c.inputs().forEach(function (input) { input.setAttribute("aria-invalid", "true"); });
        items.appendChild(el("li", null, [el("a", {
          href: "#" + c.focusTarget().id, text: text.indexOf(c.field.label) >= 0 ? text : c.field.label + "：" + text,
          onclick: function (event) { event.preventDefault(); c.focusTarget().focus(); }
        })]));
      });
      unknown.forEach(function (name) {
        items.appendChild(el("li", { text: [].concat(errors[name]).join(" ") }));
      });
      var count = names.length + unknown.length;
      summary.appendChild(el("h2", { id: "dj-forms-summary-title", class: "dj-forms-summary__title",
        text: count ? "请修改以下 " + count + " 处问题后再提交" : "未能提交" }));
      if (general) summary.appendChild(el("p", { text: general }));
      if (count) summary.appendChild(items);
      summary.hidden = false;
      M.setAlert(count ? "有 " + count + " 处需要修改，请查看问卷上方的列表。" : general || "");
      if (names.length) controls[names[0]].focusTarget().focus();
      else summary.focus();
    }

    function check(values) {
      var errors = {};
      fields.forEach(function (field) {
        var problem = problemOf(field, values[field.name]);
        if (problem) errors[field.name] = [problem];
      });
      return errors;
    }

    // ---------------------------------------------------------------- submit

    formNode.addEventListener("submit", async function (event) {
      event.preventDefault();
      if (submit.disabled) return;
      var values = answers();
      var errors = check(values);
      if (Object.keys(errors).length) { showErrors(errors); return; }
      clearErrors();
      if (!pendingKey) { pendingKey = uuid4(); keepLocal(); }
      submit.disabled = true;
      submit.textContent = "正在提交…";
      M.setStatus("正在提交…");
      clearTimeout(saveTimer);
      try {
        var result = await M.request("POST", "forms/" + form.id + "/submit/", { answers: values, submission_key: pendingKey });
        pendingKey = null;
        clearLocal(form.id);
        window.removeEventListener("online", onOnline);
        window.removeEventListener("offline", onOffline);
        M.setAlert("");
        M.setStatus("问卷已提交。");
        showSubmitted(result || form, true);
      } catch (error) {
        submit.disabled = false;
        submit.textContent = submittedAnswers ? "提交修改" : "提交问卷";
        M.setStatus("");
        if (M.isExpired(error)) { M.handleError(error); return; }
        if (isNetworkError(error)) {
          // The same key goes with the next attempt: the server may have taken this one.
          showOffline();
          showErrors({}, "网络连接失败，问卷尚未确认提交。您的填写已保存在本机，请在网络恢复后再次点击“" + submit.textContent + "”。");
          return;
        }
        if (error.status >= 500) {
          showErrors({}, error.detail);
          return;
        }
        // Refused for a reason the answers decide: the next attempt is a new one.
        pendingKey = null;
        keepLocal();
        if (error.code === "invalid" && error.fields && Object.keys(error.fields).length) showErrors(error.fields, error.detail);
        else showErrors({}, error.detail || "提交失败，请稍后再试。");
      }
    });
  }

  // ------------------------------------------------------------------ validation (mirrors the server's rules; the server decides)

  function problemOf(field, value) {
    var empty = value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length);
    if (field.type === "section") return null;
    if (field.type === "peer_review") {
      var people = field.people || [];
      var missing = people.filter(function (p) { return !(value && value[p.id] && value[p.id].grade); });
      if (field.required && missing.length) {
        return "请为每位党员选择评议等次（还有 " + missing.length + " 位未评：" +
          missing.slice(0, 3).map(function (p) { return p.name; }).join("、") + (missing.length > 3 ? " 等" : "") + "）。";
      }
      return null;
    }
    // The server's wording (cms/feedback/services.py REQUIRED_MESSAGES), so a message reads the
    // same whoever found the problem.
    if (empty) {
      if (!field.required) return null;
      if (field.type === "file") return "请上传“" + field.label + "”。";
      if (field.type === "rating") return "请为“" + field.label + "”评分。";
      if (["radio", "checkboxes", "dropdown"].indexOf(field.type) >= 0) return "请选择“" + field.label + "”。";
      return "请填写“" + field.label + "”。";
    }
    if ((field.type === "singleline" || field.type === "multiline") && field.max_length && String(value).length > field.max_length) {
      return "最多 " + field.max_length + " 个字，现在 " + String(value).length + " 个字。";
    }
    if (field.type === "number") {
      var n = Number(value);
      if (!isFinite(n)) return "请输入数字。";
      if (field.min !== null && field.min !== undefined && n < field.min) return "不能小于 " + field.min + "。";
      if (field.max !== null && field.max !== undefined && n > field.max) return "不能大于 " + field.max + "。";
    }
    if (field.type === "date" && !/^\d{4}-\d{2}-\d{2}$/.test(value)) return "请按“年-月-日”填写日期。";
    return null;
  }

  // ------------------------------------------------------------------ field builders

  function buildField(field, controls, form, fileNames, changed) {
    var base = "dj-q-" + idPart(field.name);
    var helpId = base + "-help";
    var errorId = base + "-error";
    var help = field.help_text ? el("p", { id: helpId, class: "dj-form__hint dj-forms-help", text: field.help_text }) : null;
    var error = el("p", { id: errorId, class: "dj-form__error" });
    var describedBy = (help ? helpId + " " : "") + errorId;
    var mark = field.required ? el("span", { class: "dj-forms-required", "aria-hidden": "true", text: " *" }) : null;
    var srRequired = field.required ? el("span", { class: "dj-visually-hidden", text: "（必答）" }) : null;

    if (field.type === "section") {
      return el("div", { class: "dj-forms-section" }, [
        el("h2", { class: "dj-forms-section__title", text: field.label }),
        field.help_text ? el("p", { class: "dj-form__hint", text: field.help_text }) : null
      ]);
    }

    function textInput(tag, attrs) {
      var common = { id: base, name: field.name, "aria-describedby": describedBy, required: !!field.required };
      Object.keys(attrs || {}).forEach(function (k) { common[k] = attrs[k]; });
      return el(tag, common);
    }

    function simple(input, get, set) {
      controls[field.name] = {
        field: field, error: error,
        get: get, set: set,
        inputs: function () { return [input]; },
        focusTarget: function () { return input; }
      };
      return el("div", { class: "dj-field dj-forms-field dj-forms-field--" + field.type, "data-field": field.name }, [
        el("label", { for: base }, [field.label, mark, srRequired]), help, input, error
      ]);
    }

    function group(type, options) {
      var inputs = options.map(function (option, i) {
        var optionId = base + "-" + i;
        var input = el("input", { type: type, id: optionId, name: field.name, value: option.value, "aria-describedby": describedBy });
        return { input: input, node: el("div", { class: "dj-forms-choice" }, [input, el("label", { for: optionId, text: option.label })]) };
      });
      controls[field.name] = {
        field: field, error: error,
        get: function () {
          var checked = inputs.filter(function (x) { return x.input.checked; }).map(function (x) { return x.input.value; });
          if (type === "checkbox") return checked;
          if (!checked.length) return field.type === "rating" ? null : "";
          return field.type === "rating" ? parseInt(checked[0], 10) : checked[0];
        },
        set: function (value) {
          var wanted = [].concat(value === null || value === undefined ? [] : value).map(String);
          inputs.forEach(function (x) { x.input.checked = wanted.indexOf(x.input.value) >= 0; });
        },
        inputs: function () { return inputs.map(function (x) { return x.input; }); },
        focusTarget: function () { return inputs.length ? inputs[0].input : error; }
      };
      var legendId = base + "-legend";
      return el("fieldset", {
        class: "dj-forms-fieldset dj-forms-field--" + field.type, "data-field": field.name,
        "aria-describedby": describedBy, id: base
      }, [
        el("legend", { id: legendId }, [field.label, mark, srRequired]),
        help,
        el("div", { class: "dj-forms-choices" + (field.type === "rating" ? " dj-forms-choices--rating" : "") },
          inputs.map(function (x) { return x.node; })),
        error
      ]);
    }

    var choices = (field.choices || []).map(function (c) { return { value: String(c), label: String(c) }; });

    switch (field.type) {
      case "multiline":
        var area = textInput("textarea", { rows: "5", maxlength: field.max_length ? String(field.max_length) : null });
        return simple(area, function () { return area.value; }, function (v) { area.value = v === null || v === undefined ? "" : String(v); });
      case "radio":
        return group("radio", choices);
      case "checkboxes":
        return group("checkbox", choices);
      case "rating":
        return group("radio", RATING_LABELS.map(function (label, i) {
          return { value: String(i + 1), label: (i + 1) + " 分 " + label };
        }));
      case "dropdown":
        var select = textInput("select");
        select.appendChild(el("option", { value: "", text: "请选择" }));
        choices.forEach(function (c) { select.appendChild(el("option", { value: c.value, text: c.label })); });
        return simple(select, function () { return select.value; }, function (v) { select.value = v === null || v === undefined ? "" : String(v); });
      case "date":
        var date = textInput("input", { type: "date" });
        return simple(date, function () { return date.value; }, function (v) { date.value = v || ""; });
      case "number":
        var number = textInput("input", {
          type: "number", inputmode: "decimal", step: "any",
          min: field.min !== null && field.min !== undefined ? String(field.min) : null,
          max: field.max !== null && field.max !== undefined ? String(field.max) : null
        });
        return simple(number, function () { return number.value; }, function (v) { number.value = v === null || v === undefined ? "" : String(v); });
      case "file":
        return fileField(field, controls, form, fileNames, base, describedBy, help, error, mark, srRequired, changed);
      case "peer_review":
        return peerReview(field, controls, base, describedBy, help, error, mark, srRequired);
      default:
        var line = textInput("input", { type: "text", maxlength: field.max_length ? String(field.max_length) : null });
        return simple(line, function () { return line.value; }, function (v) { line.value = v === null || v === undefined ? "" : String(v); });
    }
  }

  function peerReview(field, controls, base, describedBy, help, error, mark, srRequired) {
    var grades = (field.grades && field.grades.length) ? field.grades : ["优秀", "合格", "基本合格", "不合格"];
    var rows = (field.people || []).map(function (person, p) {
      var personBase = base + "-p" + p;
      var radios = grades.map(function (grade, g) {
        var gid = personBase + "-g" + g;
        var input = el("input", { type: "radio", id: gid, name: field.name + "__" + person.id, value: grade, "aria-describedby": describedBy });
        return { input: input, node: el("div", { class: "dj-forms-choice" }, [input, el("label", { for: gid, text: grade })]) };
      });
      var commentId = personBase + "-comment";
      var comment = el("textarea", { id: commentId, rows: "2", name: field.name + "__" + person.id + "__comment", "aria-describedby": describedBy });
      return {
        person: person, radios: radios, comment: comment,
        node: el("fieldset", { class: "dj-forms-person", id: personBase }, [
          el("legend", { text: person.name }),
          el("div", { class: "dj-forms-choices dj-forms-choices--grades" }, radios.map(function (x) { return x.node; })),
          el("div", { class: "dj-field dj-forms-person__comment" }, [
            el("label", { for: commentId, text: "对" + person.name + "的评议意见（选填）" }), comment
          ])
        ])
      };
    });
    controls[field.name] = {
      field: field, error: error,
      get: function () {
        var result = {};
        rows.forEach(function (row) {
          var grade = row.radios.filter(function (x) { return x.input.checked; }).map(function (x) { return x.input.value; })[0] || "";
          if (grade || row.comment.value) result[String(row.person.id)] = { grade: grade, comment: row.comment.value };
        });
        return result;
      },
      set: function (value) {
        value = value && typeof value === "object" ? value : {};
        rows.forEach(function (row) {
          var entry = value[String(row.person.id)] || {};
          row.radios.forEach(function (x) { x.input.checked = x.input.value === entry.grade; });
          row.comment.value = entry.comment || "";
        });
      },
      inputs: function () {
        // Only the people still without a grade are marked invalid.
        return rows.filter(function (row) { return !row.radios.some(function (x) { return x.input.checked; }); })
          .reduce(function (all, row) { return all.concat(row.radios.map(function (x) { return x.input; })); }, []);
      },
      focusTarget: function () {
        var first = rows.filter(function (row) { return !row.radios.some(function (x) { return x.input.checked; }); })[0] || rows[0];
        return first ? first.radios[0].input : error;
      }
    };
    return el("fieldset", { class: "dj-forms-fieldset dj-forms-field--peer_review", "data-field": field.name, id: base, "aria-describedby": describedBy }, [
      el("legend", null, [field.label, mark, srRequired]),
      help,
      rows.length ? null : el("p", { class: "dj-empty", text: "您所在支部没有其他需要评议的党员。" }),
      el("div", { class: "dj-forms-people" }, rows.map(function (row) { return row.node; })),
      error
    ]);
  }

  function fileField(field, controls, form, fileNames, base, describedBy, help, error, mark, srRequired, changed) {
    var token = "";
    var input = el("input", {
      type: "file", id: base, "aria-describedby": describedBy,
      accept: (field.accept || []).join(",") || null
    });
    var limits = [];
    if (field.accept && field.accept.length) limits.push("格式：" + field.accept.join("、"));
    if (field.max_bytes) limits.push("大小不超过 " + formatBytes(field.max_bytes));
    var progress = el("progress", { class: "dj-forms-upload__progress", max: "100", value: "0", hidden: true, "aria-label": "上传进度" });
    var current = el("p", { class: "dj-forms-upload__current", "aria-live": "polite" });
    var remove = el("button", { type: "button", class: "dj-button dj-button--quiet", text: "删除附件", hidden: true });

    function show(name) {
      current.textContent = token ? "已上传：" + (name || fileNames[token] || "附件") : "";
      remove.hidden = !token;
    }

    remove.addEventListener("click", function () {
      token = ""; input.value = ""; show(); changed(); input.focus();
    });

    // Choosing a file is not a draft change by itself: the token arrives after the upload.
    input.addEventListener("input", function (event) { event.stopPropagation(); });
    input.addEventListener("change", function (event) {
      event.stopPropagation();
      error.textContent = "";
      input.removeAttribute("aria-invalid");
      var file = input.files && input.files[0];
      if (!file) return;
      if (field.max_bytes && file.size > field.max_bytes) {
        error.textContent = "文件过大：" + formatBytes(file.size) + "，不能超过 " + formatBytes(field.max_bytes) + "。";
        input.setAttribute("aria-invalid", "true");
        input.value = "";
        return;
      }
      var ext = (/\.[^.]+$/.exec(file.name) || [""])[0].toLowerCase();
      if (field.accept && field.accept.length && field.accept.map(function (a) { return String(a).toLowerCase(); }).indexOf(ext) < 0) {
        error.textContent = "不支持这种文件格式，请上传 " + field.accept.join("、") + " 格式的文件。";
        input.setAttribute("aria-invalid", "true");
        input.value = "";
        return;
      }
      upload(file);
    });

    // XMLHttpRequest rather than fetch: fetch reports no upload progress, and a phone on a
    // slow network needs to see that something happens.
    function upload(file) {
      var data = new FormData();
      data.append("file", file);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", API + "forms/" + form.id + "/files/");
      xhr.withCredentials = true;
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      progress.hidden = false;
      progress.value = 0;
      current.textContent = "正在上传 " + file.name + "…";
      input.disabled = true;
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) {
          var pct = Math.round(100 * e.loaded / e.total);
          progress.value = pct;
          current.textContent = "正在上传 " + file.name + "：" + pct + "%";
        }
      };
      function done(problem) {
        input.disabled = false;
        progress.hidden = true;
        if (problem) {
          error.textContent = problem;
          input.setAttribute("aria-invalid", "true");
          input.value = "";
          show();
          input.focus();
        }
      }
      xhr.onerror = function () { done("网络连接失败，附件未能上传，请在网络恢复后重新选择文件。"); };
      xhr.onload = function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if (xhr.status === 201 || xhr.status === 200) {
          token = body && body.token ? String(body.token) : "";
          fileNames[token] = (body && body.name) || file.name;
          done(null);
          show(fileNames[token] + "（" + formatBytes((body && body.size) || file.size) + "）");
          changed();
          return;
        }
        if (xhr.status === 413) { done("文件过大，未能上传。"); return; }
        var message = body && body.fields && body.fields.file ? [].concat(body.fields.file).join(" ") : body && body.detail;
        done(message || "附件未能上传（错误 " + xhr.status + "），请稍后再试。");
      };
      xhr.send(data);
    }

    controls[field.name] = {
      field: field, error: error,
      get: function () { return token; },
      set: function (value) { token = value ? String(value) : ""; show(); },
      inputs: function () { return [input]; },
      focusTarget: function () { return input; }
    };
    return el("div", { class: "dj-field dj-forms-field dj-forms-field--file", "data-field": field.name }, [
      el("label", { for: base }, [field.label, mark, srRequired]),
      help,
      limits.length ? el("p", { class: "dj-form__hint", text: limits.join("，") }) : null,
      input, progress, current, remove, error
    ]);
  }
})();
