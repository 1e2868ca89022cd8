/* 通知 — the notices a member received (cms/notifications), in the member area.
 *
 * Two views on the core of dj-member.js (window.DJMember, docs/architecture.md "Member area"):
 *   notices   /member/notices/      my notices, unread first, and the 邮件提醒 panel
 *   notice    /member/notice/?id=N  the text (opening marks it read), 已读确认, 回执
 * Everything comes from /api/member/notices/ and /api/member/notifications/email/
 * (docs/member-api.md: Notices, Email reminders). Whatever people typed is put into text
 * nodes (el(..., {text})), never parsed as HTML.
 * Same browser baseline as the core: ES2017, no optional chaining.
 */
(function () {
  "use strict";
  var M = window.DJMember;
  if (!M) return;
  var el = M.el;

  // The tab's count (the session's badges.notices) after the member opened a notice.
  async function refreshTabBadge() {
    try {
      var session = await M.request("GET", "session/");
      var count = (session.user && session.user.badges && session.user.badges.notices) || 0;
      var badge = document.querySelector('[data-dj-nav-view="notices"] [data-dj-nav-badge]');
      if (!badge) return;
      badge.hidden = !count;
      badge.textContent = count ? String(count) : "";
      badge.setAttribute("aria-label", count ? count + " 条未读通知" : "");
    } catch (e) { /* only the count is stale */ }
  }

  // What the member still has to do, as badges (the list and the detail say the same).
  function todo(notice) {
    var items = [el("span", { class: "dj-badge dj-badge--optional", text: notice.kind_label })];
    if (!notice.read) items.push(el("span", { class: "dj-badge dj-badge--required dj-notices-unread", text: "未读" }));
    if (notice.requires_confirmation) {
      items.push(notice.confirmed
        ? el("span", { class: "dj-badge dj-badge--done", text: "已确认" })
        : el("span", { class: "dj-badge dj-badge--required", text: "待确认" }));
    }
    if (notice.requires_reply) {
      items.push(notice.reply
        ? el("span", { class: "dj-badge dj-badge--done", text: "已回执：" + notice.reply_label })
        : el("span", { class: "dj-badge " + (notice.deadline_passed ? "dj-badge--optional" : "dj-badge--required"),
          text: notice.deadline_passed ? "回执已截止" : "待回执" }));
    }
    var line = el("p", { class: "dj-notices-badges" });
    items.forEach(function (item, index) {
      if (index) line.appendChild(document.createTextNode(" "));
      line.appendChild(item);
    });
    return line;
  }

  function meta(notice) {
    var text = notice.sender + " · " + M.formatDateTime(notice.sent_at);
    if (notice.deadline) text += " · 截止 " + M.formatDateTime(notice.deadline);
    return el("p", { class: "dj-form__hint", text: text });
  }

  // ------------------------------------------------------------------ 通知列表

  function card(notice) {
    return el("li", { class: "dj-notices-item" + (notice.read ? "" : " dj-notices-item--unread") }, [
      el("h3", null, [el("a", { href: M.url("notice", notice.id), text: notice.title })]),
      todo(notice),
      meta(notice)
    ]);
  }

  // ------------------------------------------------------------------ 邮件提醒

  var EMAIL_CHOICES = [
    { key: "notices", label: "通知公告邮件", hint: "有新通知或通知提醒时，同时发邮件给我" },
    { key: "answers", label: "咨询答复邮件", hint: "我的咨询有了答复时，发邮件给我" }
  ];
  var NO_EMAIL = "您的账号没有登记电子邮箱，暂时不能开启邮件提醒。请联系管理员登记邮箱。";

  // Two switches that save on change (PUT with both values, so a lost answer never leaves
  // the other choice half-set). The result is said inside the panel, where the member's
  // finger is: the page's status line may be far above on a phone.
  function emailPanel(preference) {
    var hasEmail = !!preference.email;
    var result = el("p", { class: "dj-notices-email__result", role: "status", "aria-live": "polite" });
    // Not .dj-form__error, which hides itself while empty: a live region must be in the
    // page before its text changes, or screen readers may not announce it.
    var error = el("p", { class: "dj-notices-email__error", role: "alert" });
    var about = hasEmail
      ? el("p", { id: "dj-notices-email-about", class: "dj-form__hint" }, [
        "邮件发往您登记的邮箱 ", el("strong", { text: preference.email }),
        "。邮件只有标题和链接，全文请登录后在本页阅读。"])
      : el("p", { id: "dj-notices-email-about", class: "dj-form__hint", text: NO_EMAIL });
    var boxes = {};

    function sync() {
      EMAIL_CHOICES.forEach(function (choice) {
        var box = boxes[choice.key];
        box.checked = !!preference[choice.key];
        // Without an address a choice can still be switched off, never on.
        box.disabled = !hasEmail && !box.checked;
      });
    }

    async function save(changed) {
      var wanted = { notices: boxes.notices.checked, answers: boxes.answers.checked };
      error.textContent = "";
      result.textContent = "正在保存…";
      EMAIL_CHOICES.forEach(function (choice) { boxes[choice.key].disabled = true; });
      try {
        preference = await M.request("PUT", "notifications/email/", wanted);
        hasEmail = !!preference.email;
        var on = preference[changed.key];
        result.textContent = "已保存：" + (on ? "开启" : "关闭") + changed.label + "。";
      } catch (e) {
        result.textContent = "";
        if (M.isExpired(e)) { M.handleError(e); return; }
        error.textContent = e.detail || "保存失败，请稍后再试。";
      }
      sync();
    }

    var rows = EMAIL_CHOICES.map(function (choice) {
      var id = "dj-notices-email-" + choice.key;
      // Named by the short label alone; the hint and the address are its description.
      var box = el("input", { type: "checkbox", role: "switch", id: id, name: choice.key, class: "dj-switch",
        "aria-labelledby": id + "-label", "aria-describedby": id + "-hint dj-notices-email-about" });
      box.addEventListener("change", function () { save(choice); });
      boxes[choice.key] = box;
      return el("label", { class: "dj-notices-email__choice", for: id }, [
        el("span", { class: "dj-notices-email__text" }, [
          el("span", { id: id + "-label", class: "dj-notices-email__label", text: choice.label }),
          el("span", { id: id + "-hint", class: "dj-notices-email__hint", text: choice.hint })
        ]),
        box
      ]);
    });
    sync();
    return el("section", { class: "dj-form dj-notices-email", "aria-labelledby": "dj-notices-email-title" },
      [el("h2", { id: "dj-notices-email-title", text: "邮件提醒" }), about].concat(rows, [result, error]));
  }

  // The panel's data; a failure other than an expired session costs only the panel.
  async function loadEmailPreference() {
    try {
      return await M.request("GET", "notifications/email/");
    } catch (e) {
      if (M.isExpired(e)) throw e;
      return { failed: e.detail || "邮件提醒设置暂时无法加载，请稍后刷新。" };
    }
  }

  M.register("notices", async function () {
    var view = M.current();
    M.setTitle("通知");
    M.setCrumbs([{ text: "通知", href: M.url("notices") }]);
    M.setStatus("正在加载…");
    var loaded = await Promise.all([M.request("GET", "notices/"), loadEmailPreference()]);
    if (M.current() !== view) return;
    var notices = loaded[0];
    var preference = loaded[1];
    var unread = notices.filter(function (n) { return !n.read; }).length;
    M.replaceBody([
      M.accountBar(),
      el("p", { class: "dj-form__hint", text: notices.length
        ? (unread ? "您有 " + unread + " 条未读通知。" : "通知都已读过。")
        : "您还没有收到通知。" }),
      // A heading for the list (read out, not shown): the cards' h3 and the panel's h2 then
      // nest in order for screen-reader users who jump between headings.
      notices.length ? el("h2", { class: "dj-visually-hidden", text: "通知列表" }) : null,
      notices.length ? el("ul", { class: "dj-notices-list", "aria-label": "我的通知，未读在前" }, notices.map(card)) : null,
      preference.failed ? el("p", { class: "dj-form__error", text: preference.failed }) : emailPanel(preference)
    ]);
    M.setStatus("");
  }, { what: "通知", backTitle: "通知" });

  // ------------------------------------------------------------------ 通知详情

  function replyForm(notice, rerender) {
    var error = el("p", { id: "dj-notices-reason-error", class: "dj-form__error" });
    var attend = el("input", { type: "radio", name: "attend", value: "true", id: "dj-notices-attend" });
    var absent = el("input", { type: "radio", name: "attend", value: "false", id: "dj-notices-absent" });
    if (notice.reply === "attend") attend.checked = true;
    if (notice.reply === "absent") absent.checked = true;
    var reason = el("textarea", { id: "dj-notices-reason", name: "reason", rows: "3", maxlength: "500",
      "aria-describedby": "dj-notices-reason-error" });
    reason.value = notice.reason || "";
    var reasonBlock = el("div", { class: "dj-field" }, [
      el("label", { for: "dj-notices-reason", text: "不参加的原因" }), reason, error
    ]);
    function sync() { reasonBlock.hidden = !absent.checked; }
    attend.addEventListener("change", sync);
    absent.addEventListener("change", sync);
    sync();
    var submit = el("button", { type: "submit", class: "dj-button dj-button--primary",
      text: notice.reply ? "修改回执" : "提交回执" });
    var form = el("form", { class: "dj-form dj-notices-form", novalidate: true, "aria-labelledby": "dj-notices-reply-title" }, [
      el("h2", { id: "dj-notices-reply-title", text: "回执" }),
      el("fieldset", null, [
        el("legend", { text: "是否参加" }),
        el("label", { class: "dj-notices-choice", for: "dj-notices-attend" }, [attend, el("span", { text: "参加" })]),
        el("label", { class: "dj-notices-choice", for: "dj-notices-absent" }, [absent, el("span", { text: "不参加" })])
      ]),
      reasonBlock,
      notice.deadline ? el("p", { class: "dj-form__hint", text: "截止时间前可以修改回执：" + M.formatDateTime(notice.deadline) }) : null,
      submit
    ]);
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      error.textContent = "";
      reason.removeAttribute("aria-invalid");
      M.setAlert("");
      if (!attend.checked && !absent.checked) { M.setAlert("请选择参加或不参加。"); return; }
      if (absent.checked && !reason.value.trim()) {
        error.textContent = "选择“不参加”时请填写原因。";
        reason.setAttribute("aria-invalid", "true");
        reason.focus();
        return;
      }
      submit.disabled = true;
      M.setStatus("正在提交…");
      try {
        await M.request("POST", "notices/" + notice.id + "/reply/", {
          attend: attend.checked, reason: absent.checked ? reason.value : ""
        });
        await rerender("回执已提交。");
      } catch (e) {
        submit.disabled = false;
        M.setStatus("");
        if (e.code === "invalid") {
          var fields = e.fields || {};
          if (fields.reason) { error.textContent = fields.reason.join(" "); reason.setAttribute("aria-invalid", "true"); }
          M.setAlert(e.detail);
          return;
        }
        M.handleError(e);
      }
    });
    return form;
  }

  async function showDetail(id, message) {
    var view = M.current();
    var notice = await M.request("GET", "notices/" + id + "/");
    if (M.current() !== view) return;
    M.setTitle(notice.title);
    M.setCrumbs([{ text: "通知", href: M.url("notices") }, { text: notice.title, href: M.url("notice", notice.id) }]);
    async function rerender(text) { await showDetail(id, text); }
    var nodes = [M.accountBar(), todo(notice), meta(notice), el("div", { class: "dj-notices-body", text: notice.body })];
    if (notice.requires_confirmation) {
      if (notice.confirmed) {
        nodes.push(el("p", { class: "dj-form__hint", text: "已于 " + M.formatDateTime(notice.confirmed_at) + " 确认。" }));
      } else {
        var confirm = el("button", { type: "button", class: "dj-button dj-button--primary", text: "我已阅读并确认" });
        confirm.addEventListener("click", async function () {
          confirm.disabled = true;
          try {
            await M.request("POST", "notices/" + notice.id + "/confirm/");
            await rerender("已确认。");
          } catch (e) {
            confirm.disabled = false;
            if (e.code === "invalid") { M.setAlert(e.detail); return; }
            M.handleError(e);
          }
        });
        nodes.push(el("p", null, [confirm]));
      }
    }
    if (notice.requires_reply) {
      if (notice.can_reply) {
        nodes.push(replyForm(notice, rerender));
      } else {
        nodes.push(el("p", { class: "dj-form__hint", text: notice.reply
          ? "回执：" + notice.reply_label + (notice.reason ? "（" + notice.reason + "）" : "") + "。回执已截止，不能再修改。"
          : "回执已截止，您未提交回执。" }));
      }
    }
    nodes.push(el("p", null, [el("a", { class: "dj-button", href: M.url("notices"), text: "返回通知列表" })]));
    M.replaceBody(nodes);
    M.setStatus(message || "");
    refreshTabBadge();
  }

  M.register("notice", function (ctx) { return showDetail(ctx.id); },
    { what: "通知", needsId: true, back: "notices", backTitle: "通知" });
})();
