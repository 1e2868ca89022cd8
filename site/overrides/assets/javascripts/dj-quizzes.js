/* 我的测试 — quizzes, contests and practice in the member area.
 *
 * Views on the core of dj-member.js (window.DJMember, docs/architecture.md "Member area"):
 *   quizzes        /member/quizzes/             my quizzes (进行中 / 已完成 / 已结束), 每日一练
 *   quiz           /member/quiz/?id=N           one quiz: rules, my attempts, 开始作答 / 继续作答
 *   quiz-attempt   /member/quiz-attempt/?id=N   taking an attempt, one question per screen
 *   quiz-result    /member/quiz-result/?id=N    score; answers and 解析 when review is allowed
 *   quiz-mastery   /member/quiz-mastery/        knowledge points, weakest first, 练一练
 *   quiz-notebook  /member/quiz-notebook/       错题本 and 练一练 from it
 *   quiz-ranking   /member/quiz-ranking/?id=N   a contest's published ranking
 * Everything comes from /api/member/ (docs/member-api.md, 测评) and reaches the page as text
 * (el(..., {text})), never parsed as HTML. ES2017, no optional chaining (WeChat WebViews).
 *
 * Taking a quiz: the time is the server's (remaining_seconds, re-read with every save); the
 * page only counts it down. Every answer goes to the server as soon as it is given (text
 * blanks after a short pause); until the server has it, it is also kept in localStorage
 * (per person and attempt), so a lost connection or a reload loses nothing: on load the
 * unsent answers are put back and sent. Submitting sends an idempotency key made once per
 * attempt and kept in localStorage until the server answered: a retry counts once.
 * Bars (掌握情况) use width classes in 5 % steps: the site's CSP allows no inline styles.
 */
(function () {
  "use strict";

  var M = window.DJMember;
  if (!M) return;
  var el = M.el;

  var SAVE_DELAY_MS = 800;  // text blanks: after the member stops typing
  var OFFLINE_TEXT = "网络已断开：答案已保存在本机，恢复网络后会自动上传。计时不会暂停。";
  // Minutes left at which the timer is read out (aria-live), not every second.
  var ANNOUNCE_MINUTES = [30, 15, 10, 5, 3, 1];

  // ------------------------------------------------------------------ small helpers

  function uuid4() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // Per person: a shared phone must not hand one member's answers to another.
  function storageKey(kind, attemptId) {
    var me = M.me() || {};
    return "dj-quiz-" + kind + ":" + (me.username || "") + ":" + attemptId;
  }

  function loadJson(key) {
    try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function storeJson(key, value) {
    try {
      if (value === null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, JSON.stringify(value));
    } catch (e) { /* storage off (private mode): answers still go to the server */ }
  }

  function clockText(seconds) {
    seconds = Math.max(0, seconds);
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return (h ? h + ":" + two(m) : two(m)) + ":" + two(s);
  }

  function minutesText(seconds) {
    if (seconds >= 60) return Math.ceil(seconds / 60) + " 分钟";
    return seconds + " 秒";
  }

  function scoreText(score) {
    return score === null || score === undefined ? "—" : (Math.round(score * 10) / 10) + " 分";
  }

  function widthClass(percent) {
    var step = Math.max(0, Math.min(100, Math.round((percent || 0) / 5) * 5));
    return "dj-quiz-bar__fill--w" + step;
  }

  function isEmpty(answer) {
    if (!answer || !answer.length) return true;
    return answer.every(function (part) { return String(part).trim() === ""; });
  }

  function answerText(question, answer) {
    if (isEmpty(answer)) return "未作答";
    if (question.type === "fill_blank") return answer.join("；");
    var texts = {};
    (question.options || []).forEach(function (o) { texts[o.key] = o.text; });
    return answer.map(function (key) {
      return question.type === "true_false" ? (texts[key] || key) : key + "．" + (texts[key] || "");
    }).join("；");
  }

  function crumbs(extra) {
    M.setCrumbs([{ text: "我的测试", href: M.url("quizzes") }].concat(extra || []));
  }

  // 我的测试 · 掌握情况 · 错题本: the area's own pages, from each of them.
  function areaLinks(current) {
    var links = [["quizzes", "我的测试"], ["quiz-mastery", "掌握情况"], ["quiz-notebook", "错题本"]];
    return el("nav", { class: "dj-quiz-links", "aria-label": "测试栏目" }, links.map(function (link) {
      return el("a", { class: "dj-button" + (link[0] === current ? " dj-button--primary" : ""), href: M.url(link[0]),
        text: link[1], "aria-current": link[0] === current ? "page" : null });
    }));
  }

  function fact(term, value) { return [el("dt", { text: term }), el("dd", { text: value })]; }

  function facts(pairs) {
    var list = el("dl", { class: "dj-quiz-facts" });
    pairs.forEach(function (pair) { if (pair) fact(pair[0], pair[1]).forEach(function (n) { list.appendChild(n); }); });
    return list;
  }

  // POST practice/ and go to the attempt; a refusal (nothing to practise) is said in place.
  async function startPractice(body, button) {
    button.disabled = true;
    M.setAlert("");
    M.setStatus("正在准备练习题…");
    try {
      var attempt = await M.request("POST", "practice/", body);
      window.location.href = M.url("quiz-attempt", attempt.id);
    } catch (e) {
      button.disabled = false;
      M.setStatus("");
      if (M.isExpired(e)) { M.handleError(e); return; }
      M.setAlert(e.detail);
    }
  }

  function practiceButton(text, body, extraClass) {
    var button = el("button", { type: "button", class: "dj-button " + (extraClass || "dj-button--primary"), text: text });
    button.addEventListener("click", function () { startPractice(body, button); });
    return button;
  }

  // ------------------------------------------------------------------ 我的测试

  function quizMeta(quiz) {
    var parts = [quiz.question_count + " 题"];
    parts.push(quiz.time_limit_seconds ? "限时 " + minutesText(quiz.time_limit_seconds) : "不限时");
    if (quiz.kind === "contest" && quiz.starts_at) parts.push(M.formatDateTime(quiz.starts_at) + " 开赛");
    else if (quiz.state === "not_started" && quiz.opens_at && !quiz.can_start) parts.push(M.formatDateTime(quiz.opens_at) + " 开始");
    if (quiz.closes_at) parts.push((quiz.state === "ended" ? "已于 " : "截止 ") + M.formatDateTime(quiz.closes_at));
    return parts.join(" · ");
  }

  // The API's 未开始 means "no attempt of mine yet"; one that can be started now is 待作答.
  function stateLabel(quiz) {
    return quiz.state === "not_started" && quiz.can_start ? "待作答" : quiz.state_label;
  }

  function quizCard(quiz) {
    var badges = el("ul", { class: "dj-badges", "aria-label": "测验状态" }, [
      el("li", { class: "dj-badge dj-badge--optional", text: quiz.kind_label }),
      el("li", { class: "dj-badge dj-quiz-state--" + quiz.state + (quiz.can_start ? " dj-quiz-state--ready" : ""), text: stateLabel(quiz) }),
      quiz.passed === true ? el("li", { class: "dj-badge dj-quiz-state--passed", text: "已及格" }) : null,
      quiz.passed === false ? el("li", { class: "dj-badge dj-quiz-state--failed", text: "未及格" }) : null
    ]);
    var lines = [el("p", { class: "dj-quiz-card__meta", text: quizMeta(quiz) })];
    if (quiz.best_score !== null) {
      lines.push(el("p", { class: "dj-quiz-card__meta", text: "最好成绩 " + scoreText(quiz.best_score) + "（及格 " + quiz.pass_mark + " 分）" }));
    }
    if (quiz.course) lines.push(el("p", { class: "dj-quiz-card__meta", text: "通过后课程“" + quiz.course.title + "”才算学完" }));
    var actions = [];
    if (quiz.current_attempt_id) {
      actions.push(el("a", { class: "dj-button dj-button--primary", href: M.url("quiz-attempt", quiz.current_attempt_id), text: "继续作答" }));
    }
    if (quiz.ranking_available) actions.push(el("a", { class: "dj-button", href: M.url("quiz-ranking", quiz.id), text: "查看排名" }));
    return el("li", { class: "dj-card dj-quiz-card", "data-quiz-id": String(quiz.id) }, [
      el("h3", { class: "dj-card__title" }, [el("a", { href: M.url("quiz", quiz.id), text: quiz.title })]),
      badges
    ].concat(lines).concat(actions.length ? [el("p", { class: "dj-quiz-actions" }, actions)] : []));
  }

  M.register("quizzes", async function () {
    var view = M.current();
    M.setTitle("我的测试");
    crumbs();
    M.setStatus("正在加载我的测试…");
    var quizzes = await M.request("GET", "quizzes/");
    if (M.current() !== view) return;
    var groups = [
      { key: "open", title: "进行中", states: ["in_progress", "not_started"], empty: "目前没有需要您参加的测验。" },
      { key: "completed", title: "已完成", states: ["completed"], empty: "您还没有完成过测验。" },
      { key: "ended", title: "已结束", states: ["ended"], empty: "没有已结束的测验。" }
    ];
    var sections = groups.map(function (group) {
      var mine = quizzes.filter(function (q) { return group.states.indexOf(q.state) >= 0; });
      var id = "dj-quiz-group-" + group.key;
      return el("section", { class: "dj-section dj-quiz-group", "data-group": group.key, "aria-labelledby": id }, [
        el("h2", { id: id, text: group.title + "（" + mine.length + "）" }),
        mine.length ? el("ol", { class: "dj-cards" }, mine.map(quizCard)) : el("p", { class: "dj-empty", text: group.empty })
      ]);
    });
    var daily = el("section", { class: "dj-section dj-quiz-daily", "aria-labelledby": "dj-quiz-daily-title" }, [
      el("h2", { id: "dj-quiz-daily-title", text: "每日一练" }),
      el("p", { class: "dj-form__hint", text: "每天 5 道题，不限时，答完马上看到答案和解析。答错的题会记入错题本。" }),
      el("p", null, [practiceButton("开始每日一练", { source: "daily" }, "dj-button--primary dj-button--block")])
    ]);
    M.replaceBody([M.accountBar(), areaLinks("quizzes")].concat(sections.slice(0, 1), [daily], sections.slice(1)));
    M.setStatus("");
  }, { what: "页面" });

  // ------------------------------------------------------------------ one quiz

  function attemptItem(attempt) {
    var text = M.formatDateTime(attempt.started_at) + " · " + attempt.state_label;
    if (attempt.state === "submitted") {
      text += " · " + scoreText(attempt.score) + (attempt.passed === true ? "（及格）" : attempt.passed === false ? "（未及格）" : "");
      if (attempt.late) text += " · 超时提交";
    } else {
      text += " · 已答 " + attempt.answered_count + " / " + attempt.question_count + " 题";
    }
    var link = attempt.state === "submitted"
      ? el("a", { href: M.url("quiz-result", attempt.id), text: "查看结果" })
      : el("a", { href: M.url("quiz-attempt", attempt.id), text: "继续作答" });
    return el("li", { class: "dj-quiz-history__item" }, [el("span", { text: text + " " }), link]);
  }

  M.register("quiz", async function (ctx) {
    var view = M.current();
    crumbs();
    M.setStatus("正在加载测验…");
    var quiz = await M.request("GET", "quizzes/" + ctx.id + "/");
    if (M.current() !== view) return;
    M.setTitle(quiz.title);
    crumbs([{ text: quiz.title, href: M.url("quiz", quiz.id) }]);
    var nodes = [M.accountBar()];
    if (quiz.intro) nodes.push(el("p", { class: "dj-lead", text: quiz.intro }));
    nodes.push(facts([
      ["类型", quiz.kind_label],
      ["状态", stateLabel(quiz)],
      ["题目", quiz.question_count + " 题"],
      ["答题时间", quiz.time_limit_seconds ? minutesText(quiz.time_limit_seconds) + "（开始后计时，离开页面不暂停）" : "不限时"],
      ["及格分", quiz.pass_mark + " 分（满分 100 分）"],
      ["作答次数", quiz.attempt_limit === null ? "不限（已作答 " + quiz.attempts_used + " 次）"
        : "共 " + quiz.attempt_limit + " 次，还剩 " + quiz.attempts_left + " 次"],
      quiz.kind === "contest" && quiz.starts_at ? ["开赛时间", M.formatDateTime(quiz.starts_at)] : null,
      quiz.opens_at ? ["开始时间", M.formatDateTime(quiz.opens_at)] : null,
      quiz.closes_at ? ["截止时间", M.formatDateTime(quiz.closes_at)] : null,
      ["多选题计分", quiz.multiple_choice_rule_label],
      ["交卷后", quiz.allow_review ? "可查看答案和解析" : "只显示得分"],
      quiz.best_score !== null ? ["最好成绩", scoreText(quiz.best_score)] : null,
      quiz.course ? ["关联课程", "通过本测验后，课程“" + quiz.course.title + "”才算学完"] : null
    ]));
    var actions = el("p", { class: "dj-quiz-actions" });
    if (quiz.current_attempt_id) {
      actions.appendChild(el("a", { class: "dj-button dj-button--primary dj-button--block", href: M.url("quiz-attempt", quiz.current_attempt_id), text: "继续作答" }));
    } else if (quiz.can_start) {
      var start = el("button", { type: "button", class: "dj-button dj-button--primary dj-button--block",
        text: quiz.attempts_used ? "再做一次" : "开始作答" });
      start.addEventListener("click", async function () {
        start.disabled = true;
        M.setAlert("");
        M.setStatus("正在准备试卷…");
        try {
          var attempt = await M.request("POST", "quizzes/" + quiz.id + "/attempts/");
          window.location.href = M.url("quiz-attempt", attempt.id);
        } catch (e) {
          start.disabled = false;
          M.setStatus("");
          if (M.isExpired(e)) { M.handleError(e); return; }
          M.setAlert(e.detail);
        }
      });
      actions.appendChild(start);
    } else {
      actions.appendChild(el("span", { class: "dj-form__hint", text: "现在不能作答：" + quiz.cannot_start_reason + "。" }));
    }
    nodes.push(actions);
    if (quiz.ranking_available) {
      nodes.push(el("p", null, [el("a", { class: "dj-button", href: M.url("quiz-ranking", quiz.id), text: "查看竞赛排名" })]));
    }
    if (quiz.attempts && quiz.attempts.length) {
      nodes.push(el("h2", { text: "我的作答记录" }));
      nodes.push(el("ul", { class: "dj-quiz-history" }, quiz.attempts.map(attemptItem)));
    }
    M.replaceBody(nodes);
    M.setStatus("");
  }, { what: "测验", needsId: true, back: "quizzes", backTitle: "我的测试" });

  // ------------------------------------------------------------------ taking an attempt

  function questionControls(question, answer, onChange) {
    var idBase = "dj-quiz-q" + question.id;
    var legend = el("legend", { class: "dj-quiz-question__legend" }, [
      el("span", { class: "dj-quiz-question__type", text: "第 " + question.position + " 题 · " + question.type_label }),
      el("span", { class: "dj-quiz-question__stem", text: question.stem })
    ]);
    var fieldset = el("fieldset", { class: "dj-quiz-question", tabindex: "-1" }, [legend]);
    if (question.type === "fill_blank") {
      var inputs = [];
      for (var i = 0; i < question.blanks; i++) {
        var input = el("input", { type: "text", id: idBase + "-b" + i, maxlength: "200", autocomplete: "off", value: (answer && answer[i]) || "" });
        inputs.push(input);
        fieldset.appendChild(el("div", { class: "dj-field dj-quiz-blank" }, [
          el("label", { for: input.id, text: question.blanks > 1 ? "第 " + (i + 1) + " 空" : "答案" }), input
        ]));
      }
      var read = function () {
        var values = inputs.map(function (x) { return x.value; });
        return isEmpty(values) ? null : values;
      };
      inputs.forEach(function (x) {
        x.addEventListener("input", function () { onChange(read(), SAVE_DELAY_MS); });
        x.addEventListener("change", function () { onChange(read(), 0); });
      });
      return fieldset;
    }
    var multiple = question.type === "multiple";
    if (multiple) fieldset.appendChild(el("p", { class: "dj-form__hint", text: "可选多项。" }));
    var boxes = question.options.map(function (option) {
      var box = el("input", { type: multiple ? "checkbox" : "radio", name: idBase, id: idBase + "-" + option.key, value: option.key,
        checked: !!(answer && answer.indexOf(option.key) >= 0) });
      fieldset.appendChild(el("div", { class: "dj-quiz-option" }, [
        box,
        el("label", { for: box.id }, [
          question.type === "true_false" ? null : el("span", { class: "dj-quiz-option__key", text: option.key }),
          el("span", { class: "dj-quiz-option__text", text: option.text })
        ])
      ]));
      return box;
    });
    boxes.forEach(function (box) {
      box.addEventListener("change", function () {
        var chosen = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
        onChange(chosen.length ? chosen : null, 0);
      });
    });
    return fieldset;
  }

  async function showAttempt(id) {
    var view = M.current();
    crumbs();
    M.setStatus("正在加载试卷…");
    var attempt = await M.request("GET", "attempts/" + id + "/");
    if (M.current() !== view) return;
    if (attempt.state === "submitted") { window.location.replace(M.url("quiz-result", attempt.id)); return; }
    var title = attempt.quiz ? attempt.quiz.title : attempt.source_label;
    M.setTitle(title);
    crumbs(attempt.quiz ? [{ text: attempt.quiz.title, href: M.url("quiz", attempt.quiz.id) }] : [{ text: attempt.source_label, href: M.url("quiz-attempt", attempt.id) }]);

    var questions = attempt.questions;
    var answers = {};
    Object.keys(attempt.answers || {}).forEach(function (qid) { answers[qid] = attempt.answers[qid]; });
    // Answers given on this phone that the server has not confirmed (offline, closed tab).
    var pendingKey = storageKey("answers", attempt.id);
    var pending = loadJson(pendingKey) || {};
    var known = {};
    questions.forEach(function (q) { known[String(q.id)] = true; });
    Object.keys(pending).forEach(function (qid) {
      if (known[qid]) answers[qid] = pending[qid]; else delete pending[qid];
    });
    var saveTimers = {};
    var offline = false;
    var submitting = false;
    var submitWanted = false;
    var finished = false;

    function answeredCount() {
      return questions.filter(function (q) { return !isEmpty(answers[String(q.id)]); }).length;
    }

    // ---- timer: the server's remaining_seconds, counted down here, resynced on every save
    var endAt = attempt.remaining_seconds === null ? null : Date.now() + attempt.remaining_seconds * 1000;
    var timerText = el("span", { class: "dj-quiz-timer__value" });
    var timer = endAt === null ? null : el("p", { class: "dj-quiz-timer", role: "timer", "aria-label": "剩余时间" }, [
      el("span", { class: "dj-quiz-timer__label", text: "剩余时间 " }), timerText
    ]);
    var announcer = el("p", { class: "dj-visually-hidden", "aria-live": "polite" });
    var announced = {};
    var progress = el("p", { class: "dj-quiz-progress" });
    var saveLine = el("p", { class: "dj-quiz-save", "aria-live": "polite" });
    var alertTimeUp = false;

    function secondsLeft() { return endAt === null ? null : Math.max(0, Math.ceil((endAt - Date.now()) / 1000)); }

    function tick() {
      if (M.current() !== mine || finished) { clearInterval(ticker); return; }
      var left = secondsLeft();
      if (left === null) return;
      timerText.textContent = clockText(left);
      timer.className = "dj-quiz-timer" + (left <= 60 ? " dj-quiz-timer--urgent" : left <= 300 ? " dj-quiz-timer--low" : "");
      ANNOUNCE_MINUTES.forEach(function (minutes) {
        if (left <= minutes * 60 && left > minutes * 60 - 5 && !announced[minutes]) {
          announced[minutes] = true;
          announcer.textContent = "还剩 " + minutes + " 分钟。";
        }
      });
      if (left === 0 && !alertTimeUp) {
        alertTimeUp = true;
        announcer.textContent = "答题时间已到。";
        timeUp();
      }
    }

    function resync(remaining) {
      if (remaining === null || remaining === undefined || endAt === null) return;
      endAt = Date.now() + remaining * 1000;
    }

    // ---- saving
    function persist() { storeJson(pendingKey, Object.keys(pending).length ? pending : null); }

    function showOffline() {
      offline = true;
      saveLine.className = "dj-quiz-save dj-quiz-save--offline";
      saveLine.textContent = OFFLINE_TEXT;
    }

    // One request at a time, each carrying the newest answer: three ticks in quick
    // succession must not reach the server out of order.
    var queue = Promise.resolve();
    function send(qid) {
      queue = queue.then(function () { return sendNow(qid); });
      return queue;
    }

    async function sendNow(qid) {
      if (!(qid in pending) || finished) return;
      if (navigator.onLine === false) { showOffline(); return; }
      var answer = pending[qid];
      if (!offline) { saveLine.className = "dj-quiz-save"; saveLine.textContent = "正在保存…"; }
      try {
        var saved = await M.request("PUT", "attempts/" + attempt.id + "/answers/" + qid + "/", { answer: answer });
        if (pending[qid] === answer) { delete pending[qid]; persist(); }
        resync(saved.remaining_seconds);
        offline = false;
        saveLine.className = "dj-quiz-save";
        saveLine.textContent = Object.keys(pending).length ? "正在保存…" : "答案已保存（" + answeredCount() + " / " + questions.length + " 题已作答）";
      } catch (e) {
        if (e.code === "network") { showOffline(); return; }
        if (M.isExpired(e)) { M.handleError(e); return; }
        if (e.code === "already_submitted") { finished = true; window.location.replace(M.url("quiz-result", attempt.id)); return; }
        if (e.code === "time_up") { delete pending[qid]; persist(); timeUp(); return; }
        delete pending[qid];
        persist();
        M.setAlert(e.detail);
      }
    }

    async function flush() {
      var ids = Object.keys(pending);
      for (var i = 0; i < ids.length; i++) await send(ids[i]);
    }

    function changed(qid, answer, delay) {
      answers[qid] = answer;
      pending[qid] = answer;
      persist();
      updateProgress();
      clearTimeout(saveTimers[qid]);
      if (delay) saveTimers[qid] = setTimeout(function () { send(qid); }, delay);
      else send(qid);
    }

    function onOnline() {
      if (M.current() !== mine) { window.removeEventListener("online", onOnline); return; }
      saveLine.className = "dj-quiz-save";
      saveLine.textContent = "网络已恢复，正在上传答案…";
      offline = false;
      flush().then(function () { if (submitWanted && !offline) submit(true); });
    }
    function onOffline() {
      if (M.current() !== mine) { window.removeEventListener("offline", onOffline); return; }
      showOffline();
    }

    // ---- submitting (the key survives reloads until the server answered)
    var submitKey = storageKey("submit", attempt.id);

    async function submit(force) {
      if (submitting) return;
      submitting = true;
      submitWanted = true;
      M.setAlert("");
      M.setStatus("正在交卷…");
      await flush();
      if (Object.keys(pending).length && !force) {
        submitting = false;
        M.setStatus("");
        M.setAlert("网络已断开，暂时无法交卷。您的答案已保存在本机，恢复网络后会自动交卷（不会重复计分）。");
        return;
      }
      var key = loadJson(submitKey);
      if (!key) { key = uuid4(); storeJson(submitKey, key); }
      try {
        await M.request("POST", "attempts/" + attempt.id + "/submit/", { key: key });
        finished = true;
        storeJson(submitKey, null);
        storeJson(pendingKey, null);
        window.location.href = M.url("quiz-result", attempt.id);
      } catch (e) {
        submitting = false;
        M.setStatus("");
        if (e.code === "network") {
          showOffline();
          M.setAlert("网络已断开，暂时无法交卷。恢复网络后会自动交卷，也可以再点“交卷”（不会重复计分）。");
          return;
        }
        if (e.code === "invalid" && e.fields && e.fields.key) storeJson(submitKey, null);  // a fresh key next time
        M.handleError(e);
      }
    }

    function timeUp() {
      if (finished) return;
      M.setAlert("答题时间已到，系统按时限内保存的答案评分。正在交卷…");
      submit(true);
    }

    // ---- one question per screen, with an answer sheet (答题卡)
    var index = 0;
    var firstOpen = questions.findIndex(function (q) { return isEmpty(answers[String(q.id)]); });
    if (firstOpen > 0) index = firstOpen;
    var screen = el("div", { class: "dj-quiz-screen" });
    var prev = el("button", { type: "button", class: "dj-button", text: "上一题" });
    var next = el("button", { type: "button", class: "dj-button dj-button--primary", text: "下一题" });
    var submitButton = el("button", { type: "button", class: "dj-button dj-button--primary dj-button--block dj-quiz-submit", text: "交卷" });
    var confirmBox = el("div", { class: "dj-quiz-confirm", hidden: true, role: "alertdialog", "aria-labelledby": "dj-quiz-confirm-text", tabindex: "-1" });
    var sheet = el("ol", { class: "dj-quiz-sheet", "aria-label": "答题卡" });
    var sheetButtons = questions.map(function (q, i) {
      var b = el("button", { type: "button", class: "dj-quiz-sheet__item", text: String(i + 1) });
      b.addEventListener("click", function () { go(i); });
      sheet.appendChild(el("li", null, [b]));
      return b;
    });

    function updateProgress() {
      progress.textContent = "第 " + (index + 1) + " / " + questions.length + " 题 · 已答 " + answeredCount() + " 题";
      sheetButtons.forEach(function (b, i) {
        var done = !isEmpty(answers[String(questions[i].id)]);
        b.className = "dj-quiz-sheet__item" + (done ? " dj-quiz-sheet__item--done" : "") + (i === index ? " dj-quiz-sheet__item--current" : "");
        b.setAttribute("aria-label", "第 " + (i + 1) + " 题，" + (done ? "已作答" : "未作答"));
        if (i === index) b.setAttribute("aria-current", "step"); else b.removeAttribute("aria-current");
      });
    }

    function go(i, focus) {
      index = Math.max(0, Math.min(questions.length - 1, i));
      var q = questions[index];
      var qid = String(q.id);
      screen.textContent = "";
      screen.appendChild(questionControls(q, answers[qid], function (answer, delay) { changed(qid, answer, delay); }));
      prev.disabled = index === 0;
      next.hidden = index === questions.length - 1;
      confirmBox.hidden = true;
      updateProgress();
      if (focus !== false) {
        // The new question, from its start (the legend is read out); not its first input,
        // which on a phone would open the keyboard over the question.
        var top = (timer || progress).getBoundingClientRect().top + window.scrollY - 60;
        if (top < window.scrollY) window.scrollTo(0, Math.max(0, top));
        screen.firstChild.focus({ preventScroll: true });
      }
    }

    prev.addEventListener("click", function () { go(index - 1); });
    next.addEventListener("click", function () { go(index + 1); });
    submitButton.addEventListener("click", function () {
      var open = questions.length - answeredCount();
      confirmBox.textContent = "";
      var yes = el("button", { type: "button", class: "dj-button dj-button--primary", text: "确认交卷" });
      var no = el("button", { type: "button", class: "dj-button", text: "继续作答" });
      yes.addEventListener("click", function () { confirmBox.hidden = true; submit(false); });
      no.addEventListener("click", function () { confirmBox.hidden = true; submitButton.focus(); });
      confirmBox.appendChild(el("p", { id: "dj-quiz-confirm-text", text: open
        ? "还有 " + open + " 题未作答，交卷后不能再修改。确定交卷吗？"
        : "已全部作答。交卷后不能再修改，确定交卷吗？" }));
      confirmBox.appendChild(el("p", { class: "dj-quiz-actions" }, [yes, no]));
      confirmBox.hidden = false;
      confirmBox.focus();
    });

    var nodes = [];
    if (timer) nodes.push(timer);
    nodes.push(progress, announcer, saveLine, screen,
      el("p", { class: "dj-quiz-nav" }, [prev, next]),
      el("h2", { class: "dj-quiz-sheet__title", text: "答题卡" }), sheet,
      submitButton, confirmBox);
    if (attempt.remaining_seconds === null) {
      nodes.unshift(el("p", { class: "dj-form__hint", text: "不限时。答案随答随存，可以随时离开，回来后接着答。" }));
    }
    M.replaceBody(nodes);
    var mine = M.current();
    window.addEventListener("online", onOnline);
    window.addEventListener("offline", onOffline);
    go(index, false);
    M.setStatus("");
    if (attempt.remaining_seconds !== null) {
      var ticker = setInterval(tick, 1000);
      tick();
      var left = secondsLeft();
      if (left > 0) announcer.textContent = "本次作答限时，还剩 " + minutesText(left) + "。";
    }
    if (Object.keys(pending).length) {
      saveLine.textContent = "正在上传本机保存的答案…";
      flush();
    } else if (answeredCount()) {
      saveLine.textContent = "已恢复您保存的答案（" + answeredCount() + " / " + questions.length + " 题已作答）";
    }
    if (loadJson(submitKey)) submit(true);  // a submit that did not get its answer (reload, lost connection)
  }

  M.register("quiz-attempt", function (ctx) { return showAttempt(ctx.id); },
    { what: "作答", needsId: true, back: "quizzes", backTitle: "我的测试" });

  // ------------------------------------------------------------------ result

  function reviewItem(q) {
    var verdict = q.correct ? "答对" : q.credit > 0 ? "部分得分" : "答错";
    var head = el("h3", { class: "dj-quiz-review__head" }, [
      el("span", { text: "第 " + q.position + " 题 · " + q.type_label + " " }),
      el("span", { class: "dj-badge dj-quiz-verdict dj-quiz-verdict--" + (q.correct ? "right" : "wrong"), text: verdict })
    ]);
    var children = [head, el("p", { class: "dj-quiz-review__stem", text: q.stem })];
    if (q.options && q.options.length) {
      var mineKeys = q.my_answer || [], right = q.correct_answer || [];
      children.push(el("ul", { class: "dj-quiz-review__options" }, q.options.map(function (o) {
        var tags = [];
        if (right.indexOf(o.key) >= 0) tags.push("正确答案");
        if (mineKeys.indexOf(o.key) >= 0) tags.push("我的选择");
        return el("li", { class: "dj-quiz-review__option" + (right.indexOf(o.key) >= 0 ? " dj-quiz-review__option--right" : "") +
          (mineKeys.indexOf(o.key) >= 0 && right.indexOf(o.key) < 0 ? " dj-quiz-review__option--wrong" : "") }, [
          el("span", { text: (q.type === "true_false" ? "" : o.key + "．") + o.text }),
          tags.length ? el("strong", { class: "dj-quiz-review__tag", text: "（" + tags.join("，") + "）" }) : null
        ]);
      })));
    }
    children.push(facts([
      ["我的答案", answerText(q, q.my_answer)],
      ["正确答案", answerText(q, q.correct_answer)],
      q.explanation ? ["解析", q.explanation] : null,
      q.knowledge_points && q.knowledge_points.length ? ["知识点", q.knowledge_points.map(function (k) { return k.name; }).join("、")] : null
    ]));
    return el("li", { class: "dj-quiz-review dj-quiz-review--" + (q.correct ? "right" : "wrong") }, children);
  }

  M.register("quiz-result", async function (ctx) {
    var view = M.current();
    crumbs();
    M.setStatus("正在加载结果…");
    var result;
    // Handed in, the score follows within a second or so: ask again while it is being graded
    // (the server says how soon); after a minute, say so instead of asking forever.
    var waitedSeconds = 0;
    for (;;) {
      try {
        result = await M.request("GET", "attempts/" + ctx.id + "/result/");
      } catch (e) {
        if (e.code === "not_submitted") { window.location.replace(M.url("quiz-attempt", ctx.id)); return; }
        throw e;
      }
      if (M.current() !== view) return;
      if (result.graded) break;
      if (waitedSeconds >= 60) {
        M.setStatus("");
        M.setAlert("已交卷，成绩评定时间较长，请稍后刷新本页查看。");
        return;
      }
      M.setStatus(result.message || "已交卷，正在判分，请稍候。");
      var pause = Math.max(1, result.retry_after_seconds || 1);
      await new Promise(function (resolve) { setTimeout(resolve, pause * 1000); });
      waitedSeconds += pause;
      if (M.current() !== view) return;
    }
    // Graded: whatever this phone still kept for the attempt is of no use any more.
    storeJson(storageKey("answers", ctx.id), null);
    storeJson(storageKey("submit", ctx.id), null);
    var attempt = result.attempt;
    var title = (attempt.quiz ? attempt.quiz.title : attempt.source_label) + " · 结果";
    M.setTitle(title);
    crumbs(attempt.quiz ? [{ text: attempt.quiz.title, href: M.url("quiz", attempt.quiz.id) }] : []);
    var verdict = result.passed === true ? "及格" : result.passed === false ? "未及格" : "";
    var summary = el("section", { class: "dj-quiz-score" + (result.passed === false ? " dj-quiz-score--failed" : ""), "aria-label": "成绩" }, [
      el("p", { class: "dj-quiz-score__value", text: scoreText(result.score) }),
      el("p", { class: "dj-quiz-score__detail", text: "答对 " + result.correct_count + " / " + result.question_count + " 题" +
        (verdict ? " · " + verdict + "（及格 " + result.pass_mark + " 分）" : "") })
    ]);
    var nodes = [M.accountBar(), summary];
    if (result.late_message) nodes.push(el("p", { class: "dj-quiz-late", role: "note", text: result.late_message }));
    if (result.review_allowed) {
      var wrong = result.questions.filter(function (q) { return !q.correct; }).length;
      nodes.push(el("h2", { text: "答题详情" }));
      nodes.push(el("p", { class: "dj-form__hint", text: wrong
        ? "答错的 " + wrong + " 题已记入错题本，答对两次（不在同一天）后自动移出。"
        : "全部答对！" }));
      nodes.push(el("ol", { class: "dj-quiz-reviews" }, result.questions.map(reviewItem)));
    } else {
      nodes.push(el("p", { class: "dj-empty", text: "本测验交卷后只显示得分，不公布答案和解析。" }));
    }
    nodes.push(areaLinks(""));
    M.replaceBody(nodes);
    M.setStatus("");
  }, { what: "作答结果", needsId: true, back: "quizzes", backTitle: "我的测试" });

  // ------------------------------------------------------------------ 掌握情况

  M.register("quiz-mastery", async function () {
    var view = M.current();
    M.setTitle("掌握情况");
    crumbs([{ text: "掌握情况", href: M.url("quiz-mastery") }]);
    M.setStatus("正在加载掌握情况…");
    var mastery = await M.request("GET", "mastery/");
    if (M.current() !== view) return;
    var nodes = [M.accountBar(), areaLinks("quiz-mastery")];
    if (!mastery.points.length) {
      nodes.push(el("p", { class: "dj-empty", text: "完成测验或练习后，这里会按知识点显示您的掌握情况。" }));
    } else {
      nodes.push(el("p", { class: "dj-form__hint", text: "根据您全部的作答计算，近期的作答分量更重。最薄弱的知识点排在最前面：低于 60% 为薄弱，85% 及以上为已掌握。" }));
      if (mastery.weak_point_ids.length) {
        nodes.push(el("p", null, [practiceButton("练一练薄弱知识点", { source: "weak" }, "dj-button--primary dj-button--block")]));
      }
      nodes.push(el("ol", { class: "dj-quiz-mastery" }, mastery.points.map(function (point) {
        var percent = Math.round(point.mastery);
        return el("li", { class: "dj-quiz-mastery__item dj-quiz-mastery__item--" + point.level }, [
          el("h3", { class: "dj-quiz-mastery__name" }, [
            el("span", { text: point.name + " " }),
            el("span", { class: "dj-badge dj-quiz-level--" + point.level, text: point.level_label })
          ]),
          point.path && point.path !== point.name ? el("p", { class: "dj-quiz-mastery__path", text: point.path }) : null,
          el("div", { class: "dj-quiz-bar", "aria-hidden": "true" }, [
            el("div", { class: "dj-quiz-bar__fill dj-quiz-bar__fill--" + point.level + " " + widthClass(point.mastery) })
          ]),
          el("p", { class: "dj-quiz-mastery__meta", text: "掌握度 " + percent + "% · 答过 " + point.answered + " 题 · 最近 " + M.formatDate(point.last_answered_at) }),
          practiceButton("练一练", { source: "weak", knowledge_points: [point.id] }, "dj-quiz-practice")
        ]);
      })));
    }
    M.replaceBody(nodes);
    M.setStatus("");
  }, { what: "页面", back: "quizzes", backTitle: "我的测试" });

  // ------------------------------------------------------------------ 错题本

  M.register("quiz-notebook", async function () {
    var view = M.current();
    M.setTitle("错题本");
    crumbs([{ text: "错题本", href: M.url("quiz-notebook") }]);
    M.setStatus("正在加载错题本…");
    var notebook = await M.request("GET", "notebook/");
    if (M.current() !== view) return;
    var nodes = [M.accountBar(), areaLinks("quiz-notebook")];
    nodes.push(el("p", { class: "dj-quiz-notebook__total", text: "错题本中有 " + notebook.total + " 题" }));
    if (!notebook.total) {
      nodes.push(el("p", { class: "dj-empty", text: "没有错题。测验和练习中答错的题会自动记到这里。" }));
    } else {
      nodes.push(el("p", { class: "dj-form__hint", text: "一道题连续答对两次（不在同一天）后自动移出错题本；再次答错则重新计数。" }));
      nodes.push(el("p", null, [practiceButton("练一练错题", { source: "notebook" }, "dj-button--primary dj-button--block")]));
      nodes.push(el("ol", { class: "dj-quiz-notebook" }, notebook.entries.map(function (entry) {
        var q = entry.question;
        return el("li", { class: "dj-quiz-notebook__item" }, [
          el("p", { class: "dj-quiz-question__type", text: q.type_label + (entry.knowledge_points.length ? " · " + entry.knowledge_points.map(function (k) { return k.name; }).join("、") : "") }),
          el("p", { class: "dj-quiz-review__stem", text: q.stem }),
          q.options.length ? el("ul", { class: "dj-quiz-review__options" }, q.options.map(function (o) {
            return el("li", { class: "dj-quiz-review__option", text: (q.type === "true_false" ? "" : o.key + "．") + o.text });
          })) : null,
          facts([
            ["我上次的答案", answerText(q, entry.my_last_answer)],
            ["答错", entry.wrong_count + " 次，最近 " + M.formatDate(entry.last_wrong_at)]
          ]),
          entry.correct_streak ? el("p", { class: "dj-quiz-streak", text: "已答对 1 次，换一天再答对 1 次即可移出。" }) : null
        ]);
      })));
    }
    M.replaceBody(nodes);
    M.setStatus("");
  }, { what: "页面", back: "quizzes", backTitle: "我的测试" });

  // ------------------------------------------------------------------ 竞赛排名

  function rankingTable(caption, entries) {
    return el("div", { class: "dj-scroll" }, [el("table", { class: "dj-quiz-ranking" }, [
      el("caption", { text: caption }),
      el("thead", null, [el("tr", null, ["名次", "姓名", "组织", "得分", "用时"].map(function (h) { return el("th", { scope: "col", text: h }); }))]),
      el("tbody", null, entries.map(function (e) {
        return el("tr", { class: e.is_me ? "dj-quiz-ranking__me" : null }, [
          el("td", { text: String(e.rank) }), el("td", { text: e.name + (e.is_me ? "（我）" : "") }), el("td", { text: e.unit || "—" }),
          el("td", { text: scoreText(e.score) }), el("td", { text: clockText(e.seconds) })
        ]);
      }))
    ])]);
  }

  M.register("quiz-ranking", async function (ctx) {
    var view = M.current();
    crumbs();
    M.setStatus("正在加载排名…");
    var ranking;
    try {
      ranking = await M.request("GET", "contests/" + ctx.id + "/ranking/");
    } catch (e) {
      if (e.code !== "not_published") throw e;
      M.setTitle("竞赛排名");
      M.setStatus("");
      M.replaceBody([M.accountBar(), el("p", { class: "dj-empty", text: e.detail + "竞赛结束、编辑公布后可在这里查看。" }), areaLinks("")]);
      return;
    }
    if (M.current() !== view) return;
    M.setTitle(ranking.quiz.title + " · 排名");
    crumbs([{ text: ranking.quiz.title, href: M.url("quiz", ranking.quiz.id) }]);
    var nodes = [M.accountBar()];
    nodes.push(el("p", { class: "dj-quiz-score__detail", text: ranking.me
      ? "我的名次：第 " + ranking.me.rank + " 名，" + scoreText(ranking.me.score) + "，用时 " + clockText(ranking.me.seconds)
      : "您没有参加本次竞赛。" }));
    nodes.push(el("p", { class: "dj-form__hint", text: "按得分从高到低排列，得分相同时用时短的在前。" }));
    nodes.push(rankingTable("全部参赛人员（" + ranking.entries.length + " 人）", ranking.entries));
    ranking.units.forEach(function (unit) {
      nodes.push(el("h2", { text: unit.unit }));
      nodes.push(rankingTable(unit.unit + "排名", unit.entries));
    });
    M.replaceBody(nodes);
    M.setStatus("");
  }, { what: "竞赛", needsId: true, back: "quizzes", backTitle: "我的测试" });
})();
