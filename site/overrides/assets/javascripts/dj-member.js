/* 党员学习 — the member area of the static site (overrides/member.html).
 *
 * The static pages are empty shells; everything a member sees comes from the member API
 * (docs/member-api.md) on the same origin with the session cookie. Loaded only on
 * /member/… pages. No framework and nothing newer than ES2017 (async/await): WeChat's
 * in-app browsers are Chromium-based but not always recent, so no optional chaining,
 * no `??`, no object spread in calls that older WebViews choke on.
 *
 * Views (data-view on #dj-member): home (log in / my progress / my courses), course
 * (?id=N: lessons with their state), lesson (?id=N: reader, study time, 完成本课时).
 *
 * Other areas (问卷, 咨询 …) plug in without touching this file: their shells list their own
 * script in front matter (`dj_scripts`, loaded after this one), which calls
 * `DJMember.register(view, render, options)` with the helpers exposed at the end of this
 * file (docs/architecture.md, "Member area"). Views start on DOMContentLoaded, after every
 * deferred script has registered.
 *
 * ?next=/path: where to go after logging in. Wagtail's permission-checked /documents/ view
 * sends anonymous visitors of a private document to /member/?next=/documents/… (settings
 * WAGTAIL_FRONTEND_LOGIN_URL). Only a path of this site is followed, and only right after
 * logging in: a member who is logged in already and still sent here may lack the permission,
 * and going back would loop, so the page says so and offers the link instead.
 *
 * Study time: the server credits only what is plausible (at most the wall-clock time
 * since the previous report, ≤120 s per report, capped per lesson). The page reports the
 * time it was visible: every `data-heartbeat` seconds (30) while visible, and the last
 * partial interval when it is hidden or left (Page Visibility API, pagehide). A shorter
 * interval can be asked for with ?heartbeat=N (tests); it changes how often the page
 * reports, not what the server credits.
 */
(function () {
  "use strict";

  var root = document.getElementById("dj-member");
  if (!root || !window.fetch) {
    if (root) showUnsupported();
    return;
  }

  var API = root.getAttribute("data-api");
  // /member/ (the home view) as a path: the same links from every shell, whatever its depth.
  var BASE_URL = new URL(root.getAttribute("data-base-url"), window.location.href).pathname;
  var VIEW = root.getAttribute("data-view");
  var titleEl = root.querySelector("[data-dj-title]");
  var statusEl = root.querySelector("[data-dj-status]");
  var alertEl = root.querySelector("[data-dj-alert]");
  var bodyEl = root.querySelector("[data-dj-body]");
  var crumbsEl = root.querySelector("[data-dj-crumbs] ol");
  var navEl = document.querySelector("[data-dj-member-nav]");
  var baseCrumbs = crumbsEl ? crumbsEl.innerHTML : "";
  var siteTitle = document.title.split(" - ").slice(1).join(" - ");
  var params = new URLSearchParams(window.location.search);
  var REMEMBER = "dj-member-signed-in";
  var NEXT = sameSiteUrl(params.get("next"));

  var me = null;          // the signed-in person (API "Me")
  var generation = 0;     // bumped whenever the view is replaced; stale callbacks check it
  var stopClock = null;   // stops the lesson's study clock, when one runs
  // view name → {render(ctx), what: noun for "not found", back: view to go back to}
  var views = {};

  // ------------------------------------------------------------------ small helpers

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        if (name === "text") node.textContent = value;
        else if (name === "class") node.className = value;
        // Through the CSSOM: the site's Content-Security-Policy refuses style attributes.
        else if (name === "style") node.style.cssText = value;
        else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
        else node.setAttribute(name, value === true ? "" : value);
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function formatDate(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
    return m ? m[1] + "年" + parseInt(m[2], 10) + "月" + parseInt(m[3], 10) + "日" : "";
  }

  function formatDateTime(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso || "");
    return m ? formatDate(iso) + " " + m[4] + ":" + m[5] : "";
  }

  function formatDuration(seconds) {
    seconds = Math.max(0, Math.round(seconds || 0));
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = seconds % 60;
    if (hours) return hours + " 小时" + (minutes ? " " + minutes + " 分" : "");
    if (minutes) return minutes + (rest ? " 分 " + rest + " 秒" : " 分钟");
    return rest + " 秒";
  }

  function setStatus(text) { statusEl.textContent = text || ""; }

  function setAlert(text) {
    alertEl.textContent = "";
    if (text) alertEl.appendChild(el("p", { text: text }));
  }

  function setTitle(text) {
    titleEl.textContent = text;
    document.title = text + (siteTitle ? " - " + siteTitle : "");
  }

  function setCrumbs(extra) {
    if (!crumbsEl) return;
    crumbsEl.innerHTML = baseCrumbs;
    (extra || []).forEach(function (crumb) {
      crumbsEl.appendChild(el("li", null, [el("a", { href: crumb.href, text: crumb.text })]));
    });
  }

  function focusTitle() {
    // After a view is replaced (log in, log out, expired session) keyboard and screen-reader
    // users land on the new heading instead of on a node that no longer exists.
    titleEl.focus();
  }

  function replaceBody(nodes) {
    generation += 1;
    if (stopClock) { stopClock(); stopClock = null; }
    bodyEl.textContent = "";
    nodes.forEach(function (node) { if (node) bodyEl.appendChild(node); });
  }

  function remember(signedIn) {
    try {
      if (signedIn) window.localStorage.setItem(REMEMBER, "1");
      else window.localStorage.removeItem(REMEMBER);
    } catch (e) { /* storage off (private mode): only the wording differs */ }
  }

  function remembered() {
    try { return window.localStorage.getItem(REMEMBER) === "1"; } catch (e) { return false; }
  }

  // `value` as a URL of this site, or null unless it is a path: it starts with one "/"
  // ("//host" and "/\host" are other hosts to a browser), has no scheme ("javascript:",
  // "https:") and no backslash or control character (browsers drop tabs and line breaks
  // from URLs: "/<tab>/host" is "//host").
  function sameSiteUrl(value) {
    if (!value || value.charAt(0) !== "/" || value.charAt(1) === "/" || /[\u0000-\u001f\u007f\\]/.test(value)) {
      return null;
    }
    var url;
    try { url = new URL(value, window.location.href); } catch (e) { return null; }
    // The whole URL, not its path: "/..//host" resolves to the path "//host".
    return url.origin === window.location.origin ? url.href : null;
  }

  // The status line with a link to `next` (the file the member came for).
  function setNextStatus(text, linkText) {
    setStatus(text + " ");
    statusEl.appendChild(el("a", { href: NEXT, text: linkText }));
  }

  function urlFor(view, id) {
    var path = view === "home" ? BASE_URL : BASE_URL + view + "/";
    return path + (id ? "?id=" + encodeURIComponent(id) : "");
  }

  function showUnsupported() {
    var status = root.querySelector("[data-dj-status]");
    if (status) status.textContent = "您的浏览器版本过旧，无法使用党员学习。请升级微信或使用手机自带的浏览器打开本页。";
  }

  // ------------------------------------------------------------------ API

  function ApiError(status, data) {
    this.status = status;
    this.code = (data && data.code) || "";
    this.detail = (data && data.detail) || "";
    this.fields = (data && data.fields) || {};
  }

  function csrfToken() {
    var match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function request(method, path, body, options) {
    options = options || {};
    var headers = { "Accept": "application/json" };
    if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
    // A FormData body (file uploads) is sent as multipart with the boundary fetch chooses.
    var multipart = typeof FormData !== "undefined" && body instanceof FormData;
    if (body !== undefined && !multipart) headers["Content-Type"] = "application/json";
    var response;
    try {
      response = await fetch(API + path, {
        method: method, credentials: "same-origin", headers: headers, cache: "no-store",
        body: body === undefined ? undefined : multipart ? body : JSON.stringify(body),
        keepalive: !!options.keepalive
      });
    } catch (e) {
      throw new ApiError(0, { detail: "网络连接失败，请检查网络后重试。", code: "network" });
    }
    var data = null;
    if (response.status !== 204) {
      try { data = await response.json(); } catch (e) { data = null; }
    }
    if (response.ok) return data;
    var error = new ApiError(response.status, data);
    if (error.code === "csrf_failed" && !options.retried && method !== "GET") {
      // The token cookie went away or rotated: GET session/ sets a fresh one; try once more.
      await request("GET", "session/");
      return request(method, path, body, { keepalive: options.keepalive, retried: true });
    }
    if (!error.detail) {
      error.detail = response.status >= 500
        ? "服务器暂时无法处理请求，请稍后再试（错误 " + response.status + "）。"
        : "请求未能完成（错误 " + response.status + "）。";
    }
    throw error;
  }

  function requestForm(method, path, formData) { return request(method, path, formData); }

  function isExpired(error) {
    return error instanceof ApiError && (error.status === 401 || error.code === "not_authenticated");
  }

  // Every view funnels API failures through here: an expired session brings back the log-in
  // form (and then the same view), anything else is said in Chinese where it happened.
  function handleError(error, fallbackView) {
    if (isExpired(error)) {
      me = null;
      showLogin("登录已过期，请重新登录");
      return;
    }
    if (error instanceof ApiError && error.code === "password_change_required") {
      showPasswordChange(error.detail);
      return;
    }
    if (!(error instanceof ApiError)) {
      if (window.console) console.error(error);
      error = new ApiError(0, { detail: "页面出错了，请刷新后重试。" });
    }
    setStatus("");
    if (fallbackView) fallbackView(error);
    else setAlert(error.detail);
  }

  // ------------------------------------------------------------------ start and log in

  async function start() {
    setStatus("正在加载…");
    var session;
    try {
      session = await request("GET", "session/");  // also sets the csrftoken cookie
    } catch (error) {
      // Phones drop connections (lifts, trains): offer to try again rather than a dead page.
      setStatus("");
      setAlert(error.detail || "无法连接服务器，请稍后再试。");
      replaceBody([el("p", null, [el("button", {
        type: "button", class: "dj-button dj-button--primary", text: "重新加载",
        onclick: function () { setAlert(""); start(); }
      })])]);
      return;
    }
    if (!session || !session.authenticated) {
      var wasIn = remembered();
      showLogin(wasIn ? "登录已过期，请重新登录" : "", true);
      return;
    }
    me = session.user;
    remember(true);
    if (me && me.password_change_required) {
      showPasswordChange("", true);
      return;
    }
    await showView(true);
    if (NEXT && me) setNextStatus("您已登录。如果仍无法打开该文件，说明您没有查看它的权限。", "再次打开文件");
  }

  function showLogin(message, initial) {
    setTitle("党员学习");
    setCrumbs([]);
    setStatus("");
    setAlert(message);
    var username = el("input", {
      id: "dj-username", name: "username", type: "text", autocomplete: "username",
      autocapitalize: "off", autocorrect: "off", spellcheck: "false", required: true,
      "aria-describedby": "dj-login-error"
    });
    var password = el("input", {
      id: "dj-password", name: "password", type: "password", autocomplete: "current-password",
      required: true, "aria-describedby": "dj-login-error"
    });
    var error = el("p", { id: "dj-login-error", class: "dj-form__error" });
    // Staff with a second factor: the API answers otp_required and the code field appears.
    var code = el("input", {
      id: "dj-code", name: "code", type: "text", inputmode: "numeric", autocomplete: "one-time-code",
      maxlength: "12", "aria-describedby": "dj-login-error"
    });
    var codeField = el("div", { class: "dj-field", hidden: true }, [el("label", { for: "dj-code", text: "验证码" }), code]);
    var submit = el("button", { type: "submit", class: "dj-button dj-button--primary dj-button--block", text: "登录" });
    var form = el("form", { class: "dj-form dj-login", novalidate: true, "aria-labelledby": "dj-login-title" }, [
      el("h2", { id: "dj-login-title", text: "账号登录" }),
      el("p", { class: "dj-form__hint", text: "请使用所在党组织发放的用户名和密码登录。" +
        (NEXT ? "登录后继续打开您要查看的文件。" : VIEW === "home" ? "" :
          "登录后继续打开" + currentView().what + "。") }),
      el("div", { class: "dj-field" }, [el("label", { for: "dj-username", text: "用户名" }), username]),
      el("div", { class: "dj-field" }, [el("label", { for: "dj-password", text: "密码" }), password]),
      codeField,
      error,
      submit
    ]);
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      error.textContent = "";
      username.removeAttribute("aria-invalid");
      password.removeAttribute("aria-invalid");
      var missing = !username.value.trim() ? username : !password.value ? password : null;
      if (missing) {
        missing.setAttribute("aria-invalid", "true");
        setAlert(missing === username ? "请输入用户名。" : "请输入密码。");
        missing.focus();
        return;
      }
      submit.disabled = true;
      submit.textContent = "正在登录…";
      setStatus("正在登录…");
      try {
        var credentials = { username: username.value.trim(), password: password.value };
        if (!codeField.hidden) credentials.code = code.value.trim();
        var session = await request("POST", "session/", credentials);
        me = session.user;
        remember(true);
        setAlert("");
        if (me && me.password_change_required) {
          showPasswordChange("");
          return;
        }
        if (NEXT) window.location.assign(NEXT);
        await showView(false);
        // A file the browser downloads instead of showing leaves the member here.
        if (NEXT) setNextStatus("登录成功，正在打开文件…", "打开文件");
      } catch (e) {
        submit.disabled = false;
        submit.textContent = "登录";
        setStatus("");
        var text = e.detail || "登录失败，请稍后再试。";
        if (e.code === "otp_required") {
          // The password was right: keep it, ask for the code.
          codeField.hidden = false;
          code.value = "";
          code.setAttribute("aria-invalid", "true");
          error.textContent = text;
          setAlert(text);
          code.focus();
          return;
        }
        if (e.status === 400) {
          username.setAttribute("aria-invalid", "true");
          password.setAttribute("aria-invalid", "true");
        }
        // Said once, by the alert region; the line under the fields keeps it visible.
        error.textContent = text;
        setAlert(text);
        password.value = "";
        password.focus();
      }
    });
    replaceBody([form, el("p", { class: "dj-form__hint", text: "忘记密码或没有账号，请联系所在党支部。" })]);
    if (!initial) username.focus();
  }

  // An initial password (imported account, reset by an administrator): the API refuses
  // everything else (403 password_change_required) until the person sets their own; then
  // the page goes on to what they came for.
  function showPasswordChange(message, initial) {
    setTitle("请先修改初始密码");
    setCrumbs([]);
    setStatus("");
    setAlert(message || "");
    function field(id, label, autocomplete) {
      var input = el("input", {
        id: id, name: id, type: "password", autocomplete: autocomplete, required: true,
        "aria-describedby": "dj-password-error"
      });
      return { input: input, node: el("div", { class: "dj-field" }, [el("label", { for: id, text: label }), input]) };
    }
    var oldField = field("dj-old-password", "当前密码（初始密码）", "current-password");
    var newField = field("dj-new-password", "新密码", "new-password");
    var againField = field("dj-new-password-again", "再次输入新密码", "new-password");
    var error = el("p", { id: "dj-password-error", class: "dj-form__error" });
    var submit = el("button", { type: "submit", class: "dj-button dj-button--primary dj-button--block", text: "修改密码并继续" });
    var form = el("form", { class: "dj-form dj-login", novalidate: true, "aria-labelledby": "dj-password-title" }, [
      el("h2", { id: "dj-password-title", text: "设置新密码" }),
      el("p", { class: "dj-form__hint", text: "您的密码是组织发放的初始密码。为了账号安全，请先设置只有您自己知道的新密码：" +
        "至少 8 位，包含大写字母、小写字母、数字和符号中的至少 3 类，不能包含用户名。" }),
      oldField.node, newField.node, againField.node, error, submit
    ]);
    // The message stands under the field it is about (before the button when it is about
    // none), and in the page's alert for screen readers.
    function showError(target, text) {
      if (target) {
        target.input.setAttribute("aria-invalid", "true");
        target.node.appendChild(error);
      } else {
        form.insertBefore(error, submit);
      }
      error.textContent = text;
      setAlert(text);
      (target || oldField).input.focus();
    }
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      error.textContent = "";
      [oldField, newField, againField].forEach(function (f) { f.input.removeAttribute("aria-invalid"); });
      var problem = !oldField.input.value ? [oldField, "请输入当前密码。"]
        : !newField.input.value ? [newField, "请输入新密码。"]
        : newField.input.value !== againField.input.value ? [againField, "两次输入的新密码不一致。"] : null;
      if (problem) {
        showError(problem[0], problem[1]);
        return;
      }
      submit.disabled = true;
      setStatus("正在保存…");
      try {
        var session = await request("POST", "password/", {
          old_password: oldField.input.value, new_password: newField.input.value
        });
        me = session.user;
        setAlert("");
        if (NEXT) { window.location.assign(NEXT); return; }
        await showView(false);
        setStatus("密码已修改，请牢记新密码。");
      } catch (e) {
        submit.disabled = false;
        setStatus("");
        if (isExpired(e)) { handleError(e); return; }
        var fields = e.fields || {};
        var target = fields.old_password ? oldField : fields.new_password ? newField : null;
        showError(target, (fields.old_password || fields.new_password || []).join(" ") || e.detail || "修改失败，请稍后再试。");
      }
    });
    replaceBody([accountBar(), form]);
    if (!initial) focusTitle();
  }

  async function logOut(button) {
    button.disabled = true;
    try {
      await request("DELETE", "session/");
    } catch (error) {
      if (!isExpired(error)) {
        button.disabled = false;
        setAlert(error.detail);
        return;
      }
    }
    me = null;
    remember(false);
    if (VIEW !== "home") {
      window.location.href = urlFor("home");
      return;
    }
    showLogin("");
    setStatus("您已退出登录。");
    focusTitle();
  }

  function accountBar() {
    if (!me) return null;
    var who = me.name || me.username;
    var detail = [me.organisation, me.status_label].filter(Boolean).join(" · ");
    return el("div", { class: "dj-account" }, [
      el("p", { class: "dj-account__who" }, [
        el("strong", { text: who }),
        detail ? el("span", { class: "dj-account__detail", text: detail }) : null
      ]),
      el("button", {
        type: "button", class: "dj-button dj-button--quiet", text: "退出登录",
        onclick: function (event) { logOut(event.currentTarget); }
      })
    ]);
  }

  function currentView() { return views[VIEW] || views.home; }

  function showNav() {
    if (!navEl || !me) return;
    var counts = me.badges || {};
    Array.prototype.forEach.call(navEl.querySelectorAll("[data-dj-nav-view]"), function (link) {
      var badge = link.querySelector("[data-dj-nav-badge]");
      var count = counts[link.getAttribute("data-dj-nav-view")];
      if (!badge) return;
      badge.hidden = !count;
      badge.textContent = count ? String(count) : "";
      // The number alone means nothing to a screen reader.
      badge.setAttribute("aria-label", count ? count + " 条新消息" : "");
    });
    navEl.hidden = false;
  }

  async function showView(initial) {
    var id = params.get("id");
    showNav();
    try {
      var view = currentView();
      if (view.needsId && !needId(id)) return;
      await view.render({ id: id });
    } catch (error) {
      handleError(error, notFound);
      return;
    }
    // On the first load the heading is where the page starts anyway; after logging in the
    // form the focus was in is gone, so move it to what replaced it.
    if (!initial) focusTitle();
  }

  function backLink() {
    var view = currentView();
    return el("p", null, [el("a", { class: "dj-button", href: urlFor(view.back), text: "返回" + view.backTitle })]);
  }

  function notFound(error) {
    var view = currentView();
    var text = error.status === 404
      ? "没有找到这个" + view.what + "：它可能已下线，或不在您的范围内。"
      : error.detail;
    setTitle(error.status === 404 ? "未找到" + view.what : "党员学习");
    setAlert(text);
    replaceBody([accountBar(), backLink()]);
  }

  function needId(id) {
    if (/^\d+$/.test(id || "")) return true;
    var view = currentView();
    setTitle("链接不完整");
    setStatus("");
    setAlert("链接中缺少" + view.what + "编号，请从“" + view.backTitle + "”重新进入。");
    replaceBody([accountBar(), backLink()]);
    return false;
  }

  // ------------------------------------------------------------------ shared pieces

  function badges(course) {
    var list = el("ul", { class: "dj-badges", "aria-label": "课程要求" });
    function add(text, kind) { list.appendChild(el("li", { class: "dj-badge dj-badge--" + kind, text: text })); }
    add(course.required ? "必修" : "选修", course.required ? "required" : "optional");
    if (course.deadline) add("截止 " + formatDate(course.deadline), course.overdue ? "overdue" : "deadline");
    if (course.overdue) add("已逾期", "overdue");
    add(course.state_label, "state-" + course.state);
    return list;
  }

  function bar(done, total, label) {
    var percent = total ? Math.round(100 * done / total) : 0;
    return el("div", { class: "dj-progress" }, [
      el("p", { class: "dj-progress__label", text: label }),
      el("div", { class: "dj-progress__track", "aria-hidden": "true" }, [
        el("div", { class: "dj-progress__fill", style: "width: " + Math.min(100, percent) + "%" })
      ])
    ]);
  }

  function courseProgress(course) {
    return bar(course.lessons_completed, course.lessons_total,
      "已学完 " + course.lessons_completed + " / " + course.lessons_total + " 个课时" +
      (course.seconds_spent ? "，累计学习 " + formatDuration(course.seconds_spent) : ""));
  }

  // ------------------------------------------------------------------ home: progress + courses

  async function showHome() {
    setStatus("正在加载我的课程…");
    var progress = await request("GET", "progress/");
    setTitle("党员学习");
    setCrumbs([]);
    setStatus("");
    setAlert("");
    var totals = progress.totals || {};
    function tile(value, label, warn) {
      return el("div", { class: "dj-totals__item" + (warn ? " dj-totals__item--warn" : "") }, [
        el("dt", { text: label }), el("dd", { text: value })
      ]);
    }
    var courses = progress.courses || [];
    var list = el("ol", { class: "dj-cards" });
    courses.forEach(function (course) {
      list.appendChild(el("li", { class: "dj-card" + (course.overdue ? " dj-card--overdue" : "") }, [
        el("h3", { class: "dj-card__title" }, [el("a", { href: urlFor("course", course.id), text: course.title })]),
        badges(course),
        course.intro ? el("p", { class: "dj-card__intro", text: course.intro }) : null,
        courseProgress(course)
      ]));
    });
    replaceBody([
      accountBar(),
      el("section", { class: "dj-section", "aria-labelledby": "dj-progress-title" }, [
        el("h2", { id: "dj-progress-title", text: "我的进度" }),
        el("dl", { class: "dj-totals" }, [
          tile((totals.courses || 0) + " 门", "我的课程"),
          tile((totals.completed || 0) + " 门", "已学完"),
          tile((totals.overdue || 0) + " 门", "已逾期", totals.overdue > 0),
          tile(formatDuration(totals.seconds_spent || 0), "累计学习")
        ])
      ]),
      el("section", { class: "dj-section", "aria-labelledby": "dj-courses-title" }, [
        el("h2", { id: "dj-courses-title", text: "我的课程" }),
        courses.length ? list : el("p", { class: "dj-empty", text: "目前没有需要您学习的课程。有新课程时会显示在这里。" })
      ])
    ]);
  }

  // ------------------------------------------------------------------ course: lessons

  function lessonState(lesson) {
    if (lesson.completed) return { key: "completed", label: "已学完" };
    if (lesson.opened) return { key: "in_progress", label: "学习中" };
    return { key: "not_started", label: "未开始" };
  }

  async function showCourse(id) {
    setStatus("正在加载课程…");
    var course = await request("GET", "courses/" + id + "/");
    setTitle(course.title);
    setCrumbs([]);
    setStatus("");
    setAlert("");
    var lessons = el("ol", { class: "dj-lessons" });
    (course.lessons || []).forEach(function (lesson, index) {
      var state = lessonState(lesson);
      lessons.appendChild(el("li", { class: "dj-lesson-item dj-lesson-item--" + state.key }, [
        el("span", { class: "dj-lesson-item__number", "aria-hidden": "true", text: String(index + 1) }),
        el("div", { class: "dj-lesson-item__main" }, [
          el("h3", { class: "dj-lesson-item__title" }, [el("a", { href: urlFor("lesson", lesson.id), text: lesson.title })]),
          lesson.summary ? el("p", { class: "dj-lesson-item__summary", text: lesson.summary }) : null,
          el("p", { class: "dj-lesson-item__meta" }, [
            el("span", { class: "dj-badge dj-badge--state-" + state.key, text: state.label }),
            " 需学习 " + formatDuration(lesson.required_seconds) +
              (lesson.seconds_spent ? "，已学习 " + formatDuration(Math.min(lesson.seconds_spent, lesson.required_seconds)) : "")
          ])
        ])
      ]));
    });
    var next = (course.lessons || []).filter(function (l) { return !l.completed; })[0];
    replaceBody([
      badges(course),
      course.intro ? el("p", { class: "dj-lead", text: course.intro }) : null,
      courseProgress(course),
      next ? el("p", null, [el("a", {
        class: "dj-button dj-button--primary dj-button--block",
        href: urlFor("lesson", next.id),
        text: next.opened ? "继续学习：" + next.title : "开始学习：" + next.title
      })]) : null,
      el("section", { class: "dj-section", "aria-labelledby": "dj-lessons-title" }, [
        el("h2", { id: "dj-lessons-title", text: "课时列表" }),
        (course.lessons || []).length ? lessons : el("p", { class: "dj-empty", text: "这门课程还没有课时。" })
      ]),
      el("p", null, [el("a", { href: urlFor("home"), text: "‹ 返回我的课程" })])
    ]);
  }

  // ------------------------------------------------------------------ lesson: reader + clock

  function prepareBody(container) {
    Array.prototype.forEach.call(container.querySelectorAll("img"), function (img) {
      img.setAttribute("loading", "lazy");
      img.setAttribute("decoding", "async");
    });
    Array.prototype.forEach.call(container.querySelectorAll("video"), function (video) {
      // Inline playback: iOS and WeChat's X5 would otherwise take over the whole screen.
      video.setAttribute("playsinline", "");
      video.setAttribute("webkit-playsinline", "");
      video.setAttribute("x5-playsinline", "");
      video.setAttribute("controls", "");
      if (!video.getAttribute("preload")) video.setAttribute("preload", "metadata");
    });
    Array.prototype.forEach.call(container.querySelectorAll("table"), function (table) {
      if (table.parentNode.classList && table.parentNode.classList.contains("dj-scroll")) return;
      var caption = table.querySelector("caption");
      var wrap = el("div", {
        class: "dj-scroll", tabindex: "0", role: "region",
        "aria-label": caption ? caption.textContent.trim() : "表格（可左右滑动）"
      });
      table.parentNode.insertBefore(wrap, table);
      wrap.appendChild(table);
    });
    Array.prototype.forEach.call(container.querySelectorAll("a[href^='http']"), function (a) {
      if (a.host !== window.location.host) a.setAttribute("rel", "noopener noreferrer");
    });
  }

  function heartbeatSeconds() {
    var fromPage = parseInt(params.get("heartbeat") || root.getAttribute("data-heartbeat") || "30", 10);
    // Never more than the server accepts in one report, never a flood of requests.
    return Math.min(120, Math.max(2, isNaN(fromPage) ? 30 : fromPage));
  }

  async function showLesson(id) {
    setStatus("正在加载课时…");
    var lesson = await request("GET", "lessons/" + id + "/");
    setTitle(lesson.title);
    setCrumbs(lesson.course ? [{ text: lesson.course.title, href: urlFor("course", lesson.course.id) }] : []);
    setAlert("");

    var content = el("div", { class: "dj-lesson__body" });
    content.innerHTML = lesson.body_html || "";
    prepareBody(content);

    var timeText = el("p", { class: "dj-study__time", id: "dj-study-time" });
    var track = el("div", { class: "dj-progress__fill", style: "width: 0%" });
    var button = el("button", {
      type: "button", class: "dj-button dj-button--primary dj-button--block", disabled: true,
      "aria-describedby": "dj-study-time", text: "完成本课时"
    });
    var panel = el("section", { class: "dj-study", "aria-labelledby": "dj-study-title" }, [
      el("h2", { id: "dj-study-title", class: "dj-study__title", text: "学习进度" }),
      timeText,
      el("div", { class: "dj-progress__track", "aria-hidden": "true" }, [track]),
      button
    ]);
    var topLine = el("p", { class: "dj-study__top" });

    function lessonLink(lessonId, label, rel) {
      return lessonId ? el("a", { class: "dj-pager-link dj-pager-link--" + rel, href: urlFor("lesson", lessonId), rel: rel }, [
        el("span", { class: "dj-pager-link__label", text: label })
      ]) : el("span");
    }
    var pager = el("nav", { class: "dj-lesson-pager", "aria-label": "课时导航" }, [
      lessonLink(lesson.previous_id, "‹ 上一课时", "prev"),
      lesson.course ? el("a", { class: "dj-pager-link", href: urlFor("course", lesson.course.id) }, [
        el("span", { class: "dj-pager-link__label", text: "课时列表" })]) : el("span"),
      lessonLink(lesson.next_id, "下一课时 ›", "next")
    ]);

    replaceBody([
      lesson.summary ? el("p", { class: "dj-lead", text: lesson.summary }) : null,
      topLine,
      content,
      panel,
      pager
    ]);

    var mine = generation;
    var clock = {
      required: lesson.required_seconds || 0,
      credited: 0,          // seconds the server has credited
      completed: false,
      completedAt: null,
      spanStart: null,      // start of the visible time not yet reported (ms), null when hidden
      timer: null,
      ticker: null,
      sending: null,        // the heartbeat in flight, if any
      stopped: false,
      announcedReady: false
    };
    var interval = heartbeatSeconds() * 1000;

    function unreported() {
      return clock.spanStart === null ? 0 : Math.max(0, Date.now() - clock.spanStart);
    }

    function apply(progress) {
      if (!progress) return;
      clock.credited = progress.seconds_spent || 0;
      if (progress.required_seconds) clock.required = progress.required_seconds;
      clock.completed = !!progress.completed;
      clock.completedAt = progress.completed_at;
    }

    function render() {
      if (generation !== mine) return;
      var estimate = Math.min(clock.required, clock.credited + Math.floor(unreported() / 1000));
      var ready = clock.credited >= clock.required;
      var percent = clock.required ? Math.round(100 * Math.min(clock.credited, clock.required) / clock.required) : 100;
      track.style.width = (clock.completed ? 100 : percent) + "%";
      if (clock.completed) {
        timeText.textContent = (clock.completedAt ? "学完于 " + formatDateTime(clock.completedAt) + "，" : "") +
          "共学习 " + formatDuration(clock.credited) + "。";
        topLine.textContent = "✓ 已学完";
        topLine.className = "dj-study__top dj-study__top--done";
        button.hidden = true;
        return;
      }
      button.hidden = false;
      if (ready) {
        timeText.textContent = "已学习 " + formatDuration(clock.credited) + "，达到本课时要求，可以完成本课时。";
        topLine.textContent = "学习时长已达到要求，读完后请点击页面底部的“完成本课时”。";
        button.disabled = false;
        if (!clock.announcedReady) {
          clock.announcedReady = true;
          setStatus("学习时长已达到要求，可以点击“完成本课时”。");
        }
      } else {
        var remaining = Math.max(0, clock.required - estimate);
        timeText.textContent = "本课时需学习 " + formatDuration(clock.required) + "，已学习 " +
          formatDuration(estimate) + "，还需约 " + formatDuration(remaining) + "。";
        topLine.textContent = "本课时需学习 " + formatDuration(clock.required) + "，还需约 " + formatDuration(remaining) +
          "。页面在前台显示时才计时。";
        button.disabled = true;
      }
      topLine.className = "dj-study__top";
    }

    async function send(final) {
      var ms = unreported();
      var seconds = Math.min(120, final ? Math.round(ms / 1000) : Math.floor(ms / 1000));
      if (seconds < 1) return;
      // What is reported leaves the span; a remainder below one second carries over.
      if (clock.spanStart !== null) clock.spanStart += seconds * 1000;
      if (final) clock.spanStart = null;
      var sending = request("POST", "lessons/" + id + "/heartbeat/", { seconds: seconds }, { keepalive: final });
      clock.sending = sending;
      try {
        apply(await sending);
      } catch (error) {
        if (final || generation !== mine) return;
        if (isExpired(error)) { handleError(error); return; }
        if (error.status === 400) {
          // The server lost track of this visit (e.g. progress reset): open it again.
          try { apply(await request("POST", "lessons/" + id + "/open/")); } catch (e) { /* next report retries */ }
        } else {
          setStatus(error.detail);
        }
      } finally {
        if (clock.sending === sending) clock.sending = null;
      }
      render();
    }

    function schedule() {
      clearTimeout(clock.timer);
      if (clock.stopped || clock.spanStart === null) return;
      var wait = interval;
      if (!clock.completed && clock.credited < clock.required) {
        // Report as soon as the required time is reached, so the button does not wait for
        // the next regular report.
        var untilReady = (clock.required - clock.credited) * 1000 - unreported() + 1000;
        wait = Math.max(1000, Math.min(wait, untilReady));
      }
      clock.timer = setTimeout(async function () {
        await send(false);
        schedule();
      }, wait);
    }

    function visible() {
      if (clock.stopped || clock.spanStart !== null) return;
      clock.spanStart = Date.now();
      schedule();
      clearInterval(clock.ticker);
      clock.ticker = setInterval(render, 1000);
    }

    function hidden() {
      clearTimeout(clock.timer);
      clearInterval(clock.ticker);
      send(true);
    }

    function onVisibility() {
      if (document.visibilityState === "visible") visible();
      else hidden();
    }

    async function onPageShow(event) {
      // Back from the browser's page cache: a new visit as far as the server is concerned.
      if (!event.persisted || clock.stopped) return;
      try { apply(await request("POST", "lessons/" + id + "/open/")); } catch (error) {
        if (isExpired(error)) { handleError(error); return; }
      }
      render();
      if (document.visibilityState === "visible") visible();
    }

    document.addEventListener("visibilitychange", onVisibility);
    window.addEventListener("pagehide", hidden);
    window.addEventListener("pageshow", onPageShow);

    stopClock = function () {
      clock.stopped = true;
      clearTimeout(clock.timer);
      clearInterval(clock.ticker);
      clock.spanStart = null;
      document.removeEventListener("visibilitychange", onVisibility);
      window.removeEventListener("pagehide", hidden);
      window.removeEventListener("pageshow", onPageShow);
    };

    button.addEventListener("click", async function () {
      button.disabled = true;
      button.textContent = "正在提交…";
      setStatus("正在提交…");
      try {
        if (clock.sending) { try { await clock.sending; } catch (e) { /* reported below */ } }
        apply(await request("POST", "lessons/" + id + "/complete/"));
        setAlert("");
        setStatus("本课时已学完。");
        render();
        var done = el("p", { class: "dj-study__done", tabindex: "-1" }, [
          el("strong", { text: "✓ 本课时已学完。" }),
          lesson.next_id ? " 可以继续学习下一课时。" : " 可以返回课程查看进度。"
        ]);
        panel.appendChild(done);
        panel.appendChild(el("p", null, [el("a", {
          class: "dj-button dj-button--primary dj-button--block",
          href: lesson.next_id ? urlFor("lesson", lesson.next_id) : urlFor("course", lesson.course.id),
          text: lesson.next_id ? "学习下一课时" : "返回课程"
        })]));
        done.focus();
      } catch (error) {
        button.textContent = "完成本课时";
        if (isExpired(error)) { handleError(error); return; }
        setStatus("");
        setAlert(error.detail);
        render();
      }
    });

    // Opening the lesson starts the server's clock for this visit.
    apply(lesson.progress);
    apply(await request("POST", "lessons/" + id + "/open/"));
    if (generation !== mine) return;
    setStatus("");
    render();
    if (document.visibilityState === "visible") visible();
  }

  // ------------------------------------------------------------------ areas plug in here

  /* register(view, render, options): render({id}) fills the page (async; a rejection goes to
   * the shared error handling: expired session → log in and back, 404 → "没有找到").
   * options: what (noun for messages, e.g. "问卷"), needsId (the view needs ?id=N),
   * back / backTitle (the view a "返回" link leads to, and its name). */
  function register(view, render, options) {
    options = options || {};
    views[view] = {
      render: render, what: options.what || "内容", needsId: !!options.needsId,
      back: options.back || "home", backTitle: options.backTitle || "我的课程"
    };
  }

  register("home", function () { return showHome(); }, { what: "页面" });
  register("course", function (ctx) { return showCourse(ctx.id); }, { what: "课程", needsId: true });
  register("lesson", function (ctx) { return showLesson(ctx.id); }, { what: "课时", needsId: true });

  window.DJMember = {
    register: register,
    el: el,
    request: request,
    requestForm: requestForm,
    ApiError: ApiError,
    isExpired: isExpired,
    handleError: handleError,
    setTitle: setTitle,
    setStatus: setStatus,
    setAlert: setAlert,
    setCrumbs: setCrumbs,
    replaceBody: replaceBody,
    focusTitle: focusTitle,
    accountBar: accountBar,
    formatDate: formatDate,
    formatDateTime: formatDateTime,
    url: urlFor,
    me: function () { return me; },
    current: function () { return generation; }
  };

  // member.html loads this core and then the area's script, both deferred: they run in order
  // before DOMContentLoaded, so by then every area has registered. readyState is already
  // "interactive" while deferred scripts run, so it cannot tell "before" from "after" here;
  // starting at once would let the session reply arrive while a slow area script is still
  // downloading, and the page would show the member home instead of the area's view.
  if (document.readyState === "complete") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
