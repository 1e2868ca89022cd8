/* 我的咨询 — consultations (咨询) and suggestions (意见建议) in the member area.
 *
 * Two views on the core of dj-member.js (window.DJMember, docs/architecture.md "Member area"):
 *   consultations   /member/consultations/      my items and the 提问 form
 *   consultation    /member/consultation/?id=N  the thread, 追问 and 关闭
 * Everything comes from /api/member/consultations/ (docs/member-api.md). Whatever people
 * typed is put into text nodes (el(..., {text}) / createTextNode), never parsed as HTML.
 * Same browser baseline as the core: ES2017, no optional chaining.
 */
(function () {
  "use strict";
  var M = window.DJMember;
  if (!M) return;
  var el = M.el;

  function stateBadge(item) {
    return el("span", { class: "dj-badge dj-consultations-state dj-consultations-state--" + item.state, text: item.state_label });
  }

  // The tab's count (the session's badges.consultations) after the member opened an answer.
  async function refreshTabBadge() {
    try {
      var session = await M.request("GET", "session/");
      var count = (session.user && session.user.badges && session.user.badges.consultations) || 0;
      var badge = document.querySelector('[data-dj-nav-view="consultations"] [data-dj-nav-badge]');
      if (!badge) return;
      badge.hidden = !count;
      badge.textContent = count ? String(count) : "";
      badge.setAttribute("aria-label", count ? count + " 条新消息" : "");
    } catch (e) { /* only the count is stale */ }
  }

  /* A form whose fields each carry their own message line (aria-describedby), so a refusal
   * from the server (fields: {name: [messages]}) stands under the field it is about. */
  function fieldBlock(name, label, control, hint) {
    var id = "dj-consultations-" + name;
    var error = el("p", { id: id + "-error", class: "dj-form__error" });
    control.id = id;
    control.setAttribute("name", name);
    control.setAttribute("aria-describedby", (hint ? id + "-hint " : "") + id + "-error");
    var children = control.type === "checkbox"
      ? [el("label", { class: "dj-consultations-check", for: id }, [control, el("span", { text: label })])]
      : [el("label", { for: id, text: label }), control];
    if (hint) children.push(el("p", { id: id + "-hint", class: "dj-form__hint", text: hint }));
    children.push(error);
    return { name: name, control: control, error: error, node: el("div", { class: "dj-field" }, children) };
  }

  function clearErrors(blocks) {
    blocks.forEach(function (b) { b.error.textContent = ""; b.control.removeAttribute("aria-invalid"); });
    M.setAlert("");
  }

  // Messages next to their fields; the first invalid field gets the focus. Returns whether any
  // message had a field to stand next to.
  function showErrors(blocks, fields, detail) {
    var first = null;
    blocks.forEach(function (b) {
      var messages = fields[b.name];
      if (!messages || !messages.length) return;
      b.error.textContent = messages.join(" ");
      b.control.setAttribute("aria-invalid", "true");
      if (!first) first = b;
    });
    M.setAlert(detail || "提交的内容有误，请按提示修改。");
    if (first) first.control.focus();
    return !!first;
  }

  function fileProblem(input, options) {
    var file = input.files && input.files[0];
    if (!file) return null;
    var dot = file.name.lastIndexOf(".");
    var suffix = dot >= 0 ? file.name.slice(dot).toLowerCase() : "";
    if (options.attachment_extensions.indexOf(suffix) < 0) {
      return "附件只能是 PDF、Word、Excel、文本（.txt）或图片（.jpg、.png）文件。";
    }
    if (file.size > options.attachment_max_bytes) {
      return "附件不能超过 " + Math.round(options.attachment_max_bytes / 1048576) + " MB。";
    }
    if (!file.size) return "附件是空文件。";
    return null;
  }

  function fileInput() {
    return el("input", { type: "file", accept: ".pdf,.doc,.docx,.xls,.xlsx,.txt,.jpg,.jpeg,.png" });
  }

  // ------------------------------------------------------------------ 我的咨询

  function askForm(options, onDone) {
    var kind = el("select", null, options.kinds.map(function (k) {
      return el("option", { value: k.value, text: k.label });
    }));
    var addressee = el("select", null, options.addressees.map(function (a) {
      return el("option", { value: a.value, text: a.label + (a.available ? "" : "（不可选：" + a.reason + "）"), disabled: !a.available });
    }));
    var firstAvailable = options.addressees.filter(function (a) { return a.available; })[0];
    if (firstAvailable) addressee.value = firstAvailable.value;
    var subject = el("input", { type: "text", maxlength: "100", autocomplete: "off" });
    var text = el("textarea", { rows: "6", maxlength: "5000" });
    var attachment = fileInput();
    var consent = el("input", { type: "checkbox", value: "true" });
    var blocks = [
      fieldBlock("kind", "类型", kind),
      fieldBlock("addressee", "提交给", addressee, "向所在党支部提问由支部书记、组织委员答复；向党委办公室提问由党委办公室答复。"),
      fieldBlock("subject", "主题", subject, "不超过 100 字。"),
      fieldBlock("text", "内容", text, "请说明您的问题或建议，不超过 5000 字。"),
      fieldBlock("attachment", "附件（选填）", attachment, "PDF、Word、Excel、文本或 JPG/PNG 图片，不超过 " +
        Math.round(options.attachment_max_bytes / 1048576) + " MB。"),
      fieldBlock("public_consent", "同意在答复后将问题（经编辑改写、去除个人信息）公开到“常见问题”", consent)
    ];
    var submit = el("button", { type: "submit", class: "dj-button dj-button--primary dj-button--block", text: "提交" });
    var form = el("form", { class: "dj-form dj-consultations-form", novalidate: true, "aria-labelledby": "dj-consultations-ask-title" },
      [el("h2", { id: "dj-consultations-ask-title", text: "提问或提建议" })]
        .concat(blocks.map(function (b) { return b.node; })).concat([submit]));

    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      clearErrors(blocks);
      var problems = {};
      if (!subject.value.trim()) problems.subject = ["请填写主题。"];
      if (!text.value.trim()) problems.text = ["请填写内容。"];
      var fileError = fileProblem(attachment, options);
      if (fileError) problems.attachment = [fileError];
      if (Object.keys(problems).length) { showErrors(blocks, problems); return; }
      var data = new FormData();
      data.append("kind", kind.value);
      data.append("addressee", addressee.value);
      data.append("subject", subject.value);
      data.append("text", text.value);
      data.append("public_consent", consent.checked ? "true" : "false");
      if (attachment.files && attachment.files[0]) data.append("attachment", attachment.files[0]);
      submit.disabled = true;
      M.setStatus("正在提交…");
      try {
        var created = await M.requestForm("POST", "consultations/", data);
        window.location.href = M.url("consultation", created.id);
      } catch (e) {
        submit.disabled = false;
        M.setStatus("");
        if (e.code === "invalid") {
          if (!showErrors(blocks, e.fields || {}, e.detail)) M.setAlert(e.detail);
          return;
        }
        // An expired session brings back the log-in form (then this page); the rest is said.
        M.handleError(e);
      }
    });
    return form;
  }

  function itemCard(item) {
    var badges = el("p", { class: "dj-consultations-badges" }, [
      el("span", { class: "dj-badge dj-badge--optional", text: item.kind_label }),
      " ", stateBadge(item),
      item.unseen_answer ? " " : null,
      item.unseen_answer ? el("span", { class: "dj-badge dj-badge--required", text: "有新答复" }) : null
    ]);
    return el("li", { class: "dj-consultations-item" }, [
      el("h3", null, [el("a", { href: M.url("consultation", item.id), text: item.subject })]),
      badges,
      el("p", { class: "dj-form__hint", text: "提交给 " + item.addressee_label + " · " + M.formatDateTime(item.created_at) })
    ]);
  }

  M.register("consultations", async function () {
    var view = M.current();
    M.setTitle("我的咨询");
    M.setCrumbs([{ text: "我的咨询", href: M.url("consultations") }]);
    M.setStatus("正在加载…");
    var results = await Promise.all([M.request("GET", "consultations/options/"), M.request("GET", "consultations/")]);
    if (M.current() !== view) return;
    var options = results[0], items = results[1];
    var list = items.length
      ? el("ul", { class: "dj-consultations-list", "aria-label": "我的咨询与建议" }, items.map(itemCard))
      : el("p", { text: "您还没有提过问题或建议。" });
    M.replaceBody([
      M.accountBar(),
      el("p", { class: "dj-form__hint" }, [
        "向所在党支部或党委办公室提问、提意见建议，一般在 " + options.sla_working_days + " 个工作日内答复。",
        el("a", { href: new URL("../../help/consultations/", window.location.href).pathname, text: "使用说明" })
      ]),
      el("h2", { text: "我的咨询与建议" }), list,
      askForm(options)
    ]);
    M.setStatus("");
  }, { what: "咨询", backTitle: "我的咨询" });

  // ------------------------------------------------------------------ 咨询详情

  function messageItem(message) {
    var children = [
      el("p", { class: "dj-consultations-meta", text: message.kind_label + " · " + message.author + " · " + M.formatDateTime(message.created_at) }),
      el("p", { class: "dj-consultations-text", text: message.text })
    ];
    if (message.attachment) {
      children.push(el("p", { class: "dj-consultations-meta" }, [
        "附件：", el("a", { href: message.attachment.url, download: message.attachment.name, text: message.attachment.name })
      ]));
    }
    return el("li", { class: "dj-consultations-message dj-consultations-message--" + message.kind }, children);
  }

  function followUpForm(item, options, rerender) {
    var text = el("textarea", { rows: "4", maxlength: "5000" });
    var attachment = fileInput();
    var blocks = [fieldBlock("text", "追问内容", text), fieldBlock("attachment", "附件（选填）", attachment)];
    var submit = el("button", { type: "submit", class: "dj-button dj-button--primary", text: "发送追问" });
    var form = el("form", { class: "dj-form dj-consultations-form", novalidate: true, "aria-labelledby": "dj-consultations-follow-title" },
      [el("h2", { id: "dj-consultations-follow-title", text: "追问" })].concat(blocks.map(function (b) { return b.node; })).concat([submit]));
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      clearErrors(blocks);
      var problems = {};
      if (!text.value.trim()) problems.text = ["请填写追问内容。"];
      var fileError = fileProblem(attachment, options);
      if (fileError) problems.attachment = [fileError];
      if (Object.keys(problems).length) { showErrors(blocks, problems); return; }
      var data = new FormData();
      data.append("text", text.value);
      if (attachment.files && attachment.files[0]) data.append("attachment", attachment.files[0]);
      submit.disabled = true;
      M.setStatus("正在发送…");
      try {
        await M.requestForm("POST", "consultations/" + item.id + "/follow-ups/", data);
        await rerender("追问已发送。");
      } catch (e) {
        submit.disabled = false;
        M.setStatus("");
        if (e.code === "invalid") {
          if (!showErrors(blocks, e.fields || {}, e.detail)) M.setAlert(e.detail);
          return;
        }
        M.handleError(e);
      }
    });
    return form;
  }

  async function showDetail(id, message) {
    var view = M.current();
    var results = await Promise.all([M.request("GET", "consultations/" + id + "/"), M.request("GET", "consultations/options/")]);
    if (M.current() !== view) return;
    var item = results[0], options = results[1];
    M.setTitle(item.subject);
    M.setCrumbs([{ text: "我的咨询", href: M.url("consultations") }, { text: item.subject, href: M.url("consultation", item.id) }]);
    var facts = el("dl", { class: "dj-consultations-facts" }, [
      el("dt", { text: "类型" }), el("dd", { text: item.kind_label }),
      el("dt", { text: "状态" }), el("dd", null, [stateBadge(item)]),
      el("dt", { text: "提交给" }), el("dd", { text: item.addressee_label }),
      el("dt", { text: "提交时间" }), el("dd", { text: M.formatDateTime(item.created_at) }),
      el("dt", { text: "同意公开" }), el("dd", { text: item.public_consent ? "同意（改写、去除个人信息后）" : "不同意" })
    ]);
    var thread = el("ol", { class: "dj-consultations-thread", "aria-label": "往来记录" }, item.messages.map(messageItem));
    var nodes = [M.accountBar(), facts, el("h2", { text: "往来记录" }), thread];
    if (item.state === "pending") {
      nodes.push(el("p", { class: "dj-form__hint", text: "等待答复，一般在 " + options.sla_working_days + " 个工作日内答复。" }));
    }
    async function rerender(text) { await showDetail(id, text); }
    if (item.can_follow_up) nodes.push(followUpForm(item, options, rerender));
    if (item.can_close) {
      var close = el("button", { type: "button", class: "dj-button dj-button--quiet", text: "问题已解决，关闭" });
      close.addEventListener("click", async function () {
        if (!window.confirm("关闭后不能再追问。确定关闭吗？")) return;
        close.disabled = true;
        try {
          await M.request("POST", "consultations/" + item.id + "/close/");
          await rerender("已关闭。");
        } catch (e) {
          close.disabled = false;
          if (e.code === "invalid") { M.setAlert(e.detail); return; }
          M.handleError(e);
        }
      });
      nodes.push(el("p", null, [close]));
    } else {
      nodes.push(el("p", { class: "dj-form__hint", text: "已关闭。如有新问题，请在“我的咨询”中重新提问。" }));
    }
    M.replaceBody(nodes);
    M.setStatus(message || "");
    if (item.unseen_answer) refreshTabBadge();
  }

  M.register("consultation", function (ctx) { return showDetail(ctx.id); },
    { what: "咨询", needsId: true, back: "consultations", backTitle: "我的咨询" });
})();
