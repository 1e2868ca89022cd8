/* 站内搜索：static sharded index written by build_scripts/search_index.py.
 *
 * Loaded by the small inline loader in partials/dj-search.html the first time the
 * search box gets focus or input (never on page load). Plain ES5, no modules: it must
 * run in WeChat's in-app browser. Only files under search/ of the same site are fetched:
 *   meta.json → v/<first chars of the query> → p/<query terms> → d/<shown results>.
 * The query is segmented by forward maximum matching against the index's vocabulary
 * (jieba's words at build time), so no dictionary is shipped to the browser.
 */
(function () {
  "use strict";

  // Same alphabet as search_index.py (ASCII order). A posting is 5 characters:
  // B64[63 - score] followed by the 4-character document key.
  var B64 = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
  var PAGE = 10;
  var MAX_TERM = 12;
  var SPLIT = /[\s,.;:!?'"()\[\]{}<>\/\\|`~@#$%^&*+=\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2010-\u2027\u00b7]+/;

  var root = document.querySelector(".dj-search");
  if (!root || root.getAttribute("data-dj-ready")) return;
  root.setAttribute("data-dj-ready", "1");
  var input = root.querySelector(".md-search__input");
  var form = root.querySelector(".md-search__form");
  var status = root.querySelector(".md-search-result__meta");
  var list = root.querySelector(".md-search-result__list");
  var toggle = document.getElementById("__search");
  var config = {};
  try { config = JSON.parse(document.getElementById("__config").textContent); } catch (e) { /* default base */ }
  var siteBase = absolute((config.base || ".") + "/");
  var searchBase = siteBase + "search/";

  function absolute(href) {
    var a = document.createElement("a");
    a.href = href;
    return a.href;
  }

  // ------------------------------------------------------------------ loading

  var files = {};  // path -> {data, error, waiting: [callbacks]}

  function load(path, callback) {
    var entry = files[path];
    if (entry) {
      if (entry.waiting) entry.waiting.push(callback);
      else callback(entry.error, entry.data);
      return;
    }
    entry = files[path] = { waiting: [callback] };
    var xhr = new XMLHttpRequest();
    xhr.open("GET", searchBase + path, true);
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4) return;
      var data = null, error = null;
      if (xhr.status === 200) {
        try { data = JSON.parse(xhr.responseText); } catch (e) { error = e; }
      } else {
        error = new Error("HTTP " + xhr.status);
      }
      var waiting = entry.waiting;
      entry.waiting = null;
      entry.data = data;
      entry.error = error;
      if (error) delete files[path];  // try again on the next query
      for (var i = 0; i < waiting.length; i++) waiting[i](error, data);
    };
    xhr.send();
  }

  function loadAll(paths, callback) {
    var results = {}, pending = paths.length, failed = null;
    if (!pending) { callback(null, results); return; }
    for (var i = 0; i < paths.length; i++) {
      (function (path) {
        load(path, function (error, data) {
          if (error) failed = error;
          results[path] = data;
          if (--pending === 0) callback(failed, results);
        });
      })(paths[i]);
    }
  }

  // ------------------------------------------------------------------ index format

  // FNV-1a over UTF-16 code units (build_scripts/search_index.py: fnv1a).
  function fnv1a(text) {
    var h = 0x811c9dc5;
    for (var i = 0; i < text.length; i++) {
      h = (h ^ text.charCodeAt(i)) >>> 0;
      h = (h + (h << 1) + (h << 4) + (h << 7) + (h << 8) + (h << 24)) >>> 0;
    }
    return h;
  }

  function hex(n, width) {
    var s = n.toString(16);
    while (s.length < width) s = "0" + s;
    return s;
  }

  function firstChar(text, i) {
    var c = text.charCodeAt(i);
    return (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) ? text.substr(i, 2) : text.charAt(i);
  }

  // Shard n of a kind: <kind>/<n / per dir>/<n % per dir>.json (search_index.py: _shard_name).
  function shardPath(meta, kind, n) {
    var per = meta.shards_per_dir;
    return kind + "/" + hex(Math.floor(n / per), 2) + "/" + hex(n % per, 2) + ".json";
  }
  function vocabPath(meta, ch) { return shardPath(meta, "v", fnv1a(ch) % meta.vocab_shards); }
  function postingsPath(meta, term) { return shardPath(meta, "p", fnv1a(term) % meta.term_shards); }
  function docPath(meta, key) { return shardPath(meta, "d", decodeKey(key) >> meta.slot_bits); }

  function decodeKey(key) {
    var n = 0;
    for (var i = 0; i < key.length; i++) n = n * 64 + B64.indexOf(key.charAt(i));
    return n;
  }

  function normalise(text) {
    if (text.normalize) text = text.normalize("NFKC");
    return text.toLowerCase();
  }

  function chunksOf(query) {
    var parts = normalise(query).split(SPLIT), out = [];
    for (var i = 0; i < parts.length; i++) if (parts[i]) out.push(parts[i]);
    return out;
  }

  // Forward maximum matching against the vocabulary; longer words also contribute the
  // shorter index words inside them (as jieba's search mode does at build time).
  function segment(chunks, vocab) {
    var primary = [], secondary = [], seen = {};
    function has(term) {
      var words = vocab[firstChar(term, 0)];
      return !!(words && words[term]);
    }
    for (var c = 0; c < chunks.length; c++) {
      var chunk = chunks[c], i = 0;
      while (i < chunk.length) {
        var best = null;
        for (var len = Math.min(MAX_TERM, chunk.length - i); len >= 1; len--) {
          var candidate = chunk.substr(i, len);
          if (has(candidate)) { best = candidate; break; }
        }
        if (best) {
          if (!seen[best]) { seen[best] = 1; primary.push(best); }
          i += best.length;
        } else {
          i += firstChar(chunk, i).length;
        }
      }
    }
    for (var p = 0; p < primary.length; p++) {
      var word = primary[p];
      for (var size = word.length - 1; size >= 2; size--) {
        for (var j = 0; j + size <= word.length; j++) {
          var sub = word.substr(j, size);
          if (!seen[sub] && has(sub)) { seen[sub] = 1; secondary.push(sub); }
        }
      }
    }
    // At most 8 terms (one postings file each, ~25 KB at 10,000 pages): a long query
    // keeps its own words and drops the shorter words inside them first.
    primary = primary.slice(0, 8);
    return { primary: primary, secondary: secondary.slice(0, 8 - primary.length) };
  }

  function rank(meta, terms, shards) {
    var docs = {}, order = [], n = meta.documents || 1;
    function add(term, weight, bit) {
      var entry = shards[postingsPath(meta, term)];
      entry = entry && entry[term];
      if (!entry) return;
      var postings = entry, df;
      if (typeof entry === "string") {
        df = entry.length / 5;
      } else {
        df = Math.round(Math.pow(2, entry[0] / 8));
        postings = entry[1];
      }
      var idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      for (var i = 0; i < postings.length; i += 5) {
        var key = postings.substr(i + 1, 4);
        var doc = docs[key];
        if (!doc) { doc = docs[key] = { key: key, score: 0, hits: 0, mask: {} }; order.push(doc); }
        doc.score += weight * idf * (63 - B64.indexOf(postings.charAt(i)));
        if (bit !== null && !doc.mask[bit]) { doc.mask[bit] = 1; doc.hits++; }
      }
    }
    for (var i = 0; i < terms.primary.length; i++) add(terms.primary[i], 1, i);
    for (var j = 0; j < terms.secondary.length; j++) add(terms.secondary[j], 0.4, null);
    order.sort(function (a, b) {
      return (b.hits - a.hits) || (b.score - a.score) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    });
    return order;
  }

  // ------------------------------------------------------------------ rendering

  function escapeHtml(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  function highlight(text, words) {
    var safe = escapeHtml(text);
    var sorted = words.slice().sort(function (a, b) { return b.length - a.length; });
    var parts = [];
    for (var i = 0; i < sorted.length; i++) {
      parts.push(escapeHtml(sorted[i]).replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    }
    if (!parts.length) return safe;
    return safe.replace(new RegExp("(" + parts.join("|") + ")", "gi"), "<mark>$1</mark>");
  }

  function formatDate(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    return m ? m[1] + "年" + parseInt(m[2], 10) + "月" + parseInt(m[3], 10) + "日" : "";
  }

  function setStatus(text) { status.textContent = text; }

  var state = { seq: 0, results: [], shown: 0, words: [], meta: null, query: "" };

  function render(records, from) {
    if (from === 0) list.innerHTML = "";
    var more = list.querySelector(".dj-search-more");
    if (more) list.removeChild(more);
    for (var i = 0; i < records.length; i++) {
      var rec = records[i];
      if (!rec) continue;
      var li = document.createElement("li");
      li.className = "md-search-result__item";
      var date = formatDate(rec[2]);
      li.innerHTML =
        '<a href="' + escapeHtml(siteBase + rec[0]) + '" class="md-search-result__link">' +
        '<article class="md-search-result__article md-typeset">' +
        '<div class="md-search-result__icon md-icon"></div>' +
        "<h1>" + highlight(rec[1], state.words) + "</h1>" +
        (date ? '<p class="dj-search-date"><time datetime="' + escapeHtml(rec[2]) + '">' + date + "</time></p>" : "") +
        (rec[3] ? "<p>" + highlight(rec[3], state.words) + (rec[3].length >= 80 ? "…" : "") + "</p>" : "") +
        "</article></a>";
      list.appendChild(li);
    }
    if (state.shown < state.results.length) {
      var li2 = document.createElement("li");
      li2.className = "md-search-result__item dj-search-more";
      li2.innerHTML = '<button type="button" class="md-search-result__link dj-search-more__button">显示更多结果（还有 ' +
        (state.results.length - state.shown) + " 条）</button>";
      li2.firstChild.onclick = function () { showMore(state.seq); };
      list.appendChild(li2);
    }
  }

  function showMore(seq) {
    var meta = state.meta, from = state.shown;
    var slice = state.results.slice(from, from + PAGE);
    var paths = [], seen = {};
    for (var i = 0; i < slice.length; i++) {
      var path = docPath(meta, slice[i].key);
      if (!seen[path]) { seen[path] = 1; paths.push(path); }
    }
    loadAll(paths, function (error, shards) {
      if (seq !== state.seq) return;
      if (error) { setStatus("搜索暂时不可用，请稍后再试。"); return; }
      var records = [];
      for (var i = 0; i < slice.length; i++) {
        var shard = shards[docPath(meta, slice[i].key)];
        records.push(shard && shard[slice[i].key]);
      }
      state.shown = from + slice.length;
      render(records, from);
    });
  }

  function run(query) {
    var seq = ++state.seq;
    state.query = query;
    var chunks = chunksOf(query);
    if (!chunks.length) {
      list.innerHTML = "";
      setStatus("请输入关键词，例如：三会一课、党费、主题党日");
      return;
    }
    setStatus("正在搜索…");
    load("meta.json", function (error, meta) {
      if (seq !== state.seq) return;
      if (error) { setStatus("搜索暂时不可用，请稍后再试。"); return; }
      state.meta = meta;
      var paths = [], seen = {};
      for (var c = 0; c < chunks.length; c++) {
        for (var i = 0; i < chunks[c].length; i++) {
          var ch = firstChar(chunks[c], i);
          var path = vocabPath(meta, ch);
          if (!seen[path]) { seen[path] = 1; paths.push(path); }
          i += ch.length - 1;
        }
      }
      loadAll(paths, function (error, shards) {
        if (seq !== state.seq) return;
        if (error) { setStatus("搜索暂时不可用，请稍后再试。"); return; }
        var vocab = {};
        for (var p in shards) {
          var shard = shards[p] || {};
          for (var ch in shard) {
            var words = vocab[ch] = vocab[ch] || {};
            for (var k = 0; k < shard[ch].length; k++) words[shard[ch][k]] = 1;
          }
        }
        var terms = segment(chunks, vocab);
        var all = terms.primary.concat(terms.secondary);
        state.words = all.length ? all : chunks;
        var ppaths = [], pseen = {};
        for (var t = 0; t < all.length; t++) {
          var pp = postingsPath(meta, all[t]);
          if (!pseen[pp]) { pseen[pp] = 1; ppaths.push(pp); }
        }
        loadAll(ppaths, function (error, pshards) {
          if (seq !== state.seq) return;
          if (error) { setStatus("搜索暂时不可用，请稍后再试。"); return; }
          state.results = rank(meta, terms, pshards);
          state.shown = 0;
          if (!state.results.length) {
            list.innerHTML = "";
            setStatus("没有找到与“" + query + "”相关的内容");
            return;
          }
          setStatus("找到 " + state.results.length + " 个相关结果");
          showMore(seq);
        });
      });
    });
  }

  // ------------------------------------------------------------------ events

  var timer = null;
  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(function () { timer = null; run(input.value.replace(/^\s+|\s+$/g, "")); }, 120);
  }

  function open() {
    if (toggle && !toggle.checked) {
      toggle.checked = true;
    }
  }

  function close() {
    if (toggle) toggle.checked = false;
    input.blur();
  }

  input.addEventListener("input", function (event) { if (!event.isComposing) schedule(); });
  input.addEventListener("compositionend", schedule);
  input.addEventListener("focus", open);
  if (toggle) {
    toggle.addEventListener("change", function () {
      if (toggle.checked) setTimeout(function () { input.focus(); }, 50);
    });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var first = list.querySelector(".md-search-result__link");
    if (first && first.href) window.location.href = first.href;
  });
  form.addEventListener("reset", function () {
    setTimeout(function () { run(""); input.focus(); }, 0);
  });
  root.addEventListener("keydown", function (event) {
    var key = event.key || "";
    if (key === "Escape" || key === "Esc") { close(); return; }
    if (key !== "ArrowDown" && key !== "ArrowUp" && key !== "Down" && key !== "Up") return;
    var links = list.querySelectorAll(".md-search-result__link");
    if (!links.length) return;
    var index = -1;
    for (var i = 0; i < links.length; i++) if (links[i] === document.activeElement) index = i;
    index += (key === "ArrowDown" || key === "Down") ? 1 : -1;
    if (index < 0) { input.focus(); } else { links[Math.min(index, links.length - 1)].focus(); }
    event.preventDefault();
  });

  // Whatever was typed while this file was loading.
  if (document.activeElement === input) open();
  if (input.value) schedule();
  else setStatus("请输入关键词，例如：三会一课、党费、主题党日");
  load("meta.json", function () {});  // warm up while the user types
})();
