"""Static, sharded, incrementally updatable Chinese search index for the public site.

Pure Python (jieba), no Django, no MkDocs. It reads the *rendered* HTML of a release and
writes ``<release>/search/``; the browser side is ``site/overrides/assets/javascripts/
dj-search.js``. Design and numbers: docs/site-build.md ("Search") and bench/README.md.

Files (all JSON, UTF-8, sorted, no timestamps: a full build and any sequence of
incremental updates of the same pages give byte-identical files)::

    search/meta.json             format, shard counts, number of documents
    search/v/<hi>/<lo>.json      vocabulary: {first char: [terms…]} for the chars hashed here
    search/p/<hi>/<lo>.json      postings:   {term: "KKKKS…"} or {term: [df bucket, "KKKKS…"]}
    search/d/<hi>/<lo>.json      documents:  {KKKK: [url, title, date, excerpt]}
    search/s/<hi>/<lo>.json      state only (never fetched by the browser), for the terms
                                 whose public list is cut to TOP_K: {term: [document
                                 frequency, postings added, postings removed]} since
                                 the term's base list; one file per term shard, like
                                 p/ (only files that have such a term)
    search/b/<hi>/<lo>.json      state only: the base lists, {term: complete postings as
                                 of the last compaction}; STATE_SPLIT files per term
                                 shard (``state_shard``)

    (shard n lives in <hi> = n // 64, <lo> = n % 64, both two hex digits)

* A document key ``KKKK`` is 24 bits in 4 base64url chars: 10 bits of doc shard (from the
  sha1 of the URL) and 14 bits of slot (also from the sha1; collisions take the next free
  slot in (hash, url) order). Keys depend only on the set of URLs in the same doc shard,
  so adding a page never renumbers other pages (except the rare colliding neighbour).
* A posting is the doc key plus one base64url char ``S`` = a quantised score that depends
  on the document alone (title hit + BM25 term frequency with a *fixed* average length),
  never on site-wide statistics: adding a page changes only the lists of its own terms.
  Lists are ordered by score then key; the public list keeps the best TOP_K. The inverse
  document frequency is computed in the browser from the list length (or, for cut lists,
  a log-scale bucket of the document frequency that changes rarely) and meta.json's N.
* Terms are hashed (FNV-1a over UTF-16 code units, the same in JavaScript) into TERM_SHARDS
  posting files; the vocabulary is hashed by its first character into VOCAB_SHARDS files,
  so the browser segments a query by forward maximum matching against the index's own
  vocabulary, fetching only the vocabulary files for the query's characters: jieba's
  segmentation without shipping jieba's dictionary.

Incremental updates (``update_search_index``) re-read the previous and the new HTML of
the changed pages only, and rewrite only the shard files whose content changes — always
as new files moved in with ``os.replace``: files of a release are hard links shared with
the previous release, which may still be served. The state lives in the release, so a
rollback to an older release keeps pages and index consistent.

A cut list's complete postings grow with the site (a common word is in most pages), so an
update must not read and rewrite them: it records what it adds and removes in the term's
small state entry (``s/``) and keeps the public top TOP_K up to date from those alone. The
base list (``b/``) is read only when a posting of the public top leaves it, when a list
stops being cut, and when the journals of one base file's terms pass JOURNAL_LIMIT
characters (they are then folded into that base file: compaction). Public files are byte-identical to a full
build's after any sequence of updates; the state is equal as lists (``state_lists``), not
as bytes (a full build has empty journals).
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import os
import re
import sys
import time
import unicodedata
from array import array
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from build_scripts.forked_helper import die_with_parent

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_USER_DICT = REPO_ROOT / "site" / "jieba_user_dict.txt"

FORMAT = 5
SEARCH_DIR = "search"
# More, smaller shards keep a long query's first download small at 10,000 pages (the
# browser fetches one postings file per query term and one vocabulary file per query
# character); two-level directories (``_shard_name``) keep a publish from copying
# thousands of directory entries into the new release (build_scripts/release_tree.py).
TERM_SHARDS = 2048
# The complete lists of cut terms are most of the index's bytes (286 MB at 100,000 pages)
# and a publish rewrites those of the page's terms: split finer than the public shards, a
# publish reads and writes about an eighth of those bytes (measured end to end, the disk a
# release adds at 100,000 pages fell from 145 to 111 MB; bench/README.md, publish_latency).
# Split within a term shard, so a full build still writes them one term shard at a time.
# The journals (s/) are small and are not split: a publish of a ~1,500-character page
# touches the journals of ~300 cut terms, and split eight ways their files were spread over
# ~180 of 256 directories, each copied into the new release (~10,000 hard links at
# 100,000 pages, bench/README.md, publish_latency); one per term shard, over 32 directories.
STATE_SPLIT = 8
# Journal characters (5 per posting) of one base file's terms before they are folded into
# it: an update reads the journals of its terms every time and a base file only now and
# then, so this balances the two (bench/README.md, publish_latency).
JOURNAL_LIMIT = 2000
VOCAB_SHARDS = 512
DOC_SHARDS = 1024
SHARDS_PER_DIR = 64
SLOT_BITS = 14
TOP_K = 100
TITLE_BOOST = 3.0
BM25_K1 = 1.2
BM25_B = 0.75
AVG_LEN = 400  # fixed, not measured: scores must not depend on the rest of the site
EXCERPT_CHARS = 80
MAX_TERM_CHARS = 12
# 64 URL-safe characters in ASCII order, so encoded keys and postings sort as strings.
B64 = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
_B64_INDEX = {ch: i for i, ch in enumerate(B64)}

# Function words that match almost every page and carry no meaning on their own.
STOPWORDS = frozenset(
    "的 了 和 与 及 在 是 为 对 等 将 把 被 也 都 而 或 之 其 以 于 由 从 向 到 并 就 这 那 "
    "个 着 给 让 有 无 不 要 会 可 能 各 该 此 所 如 即 但 又 还 已 更 很 最 a an the of to and "
    "in on for is are".split()
)

# Generated pages (docs/content-format.md "reserved output paths") are not search results.
_LISTING_PAGE = re.compile(r"(^|/)page/\d+/index\.html$")


# --------------------------------------------------------------------------- hashing


def _utf16_units(text: str) -> list[int]:
    data = text.encode("utf-16-le", "surrogatepass")
    return [data[i] | (data[i + 1] << 8) for i in range(0, len(data), 2)]


def fnv1a(text: str) -> int:
    """FNV-1a (32 bit) over UTF-16 code units; dj-search.js computes the same."""
    h = 0x811C9DC5
    for unit in _utf16_units(text):
        h ^= unit
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def term_shard(term: str) -> int:
    return fnv1a(term) % TERM_SHARDS


def state_shard(term: str) -> int:
    """The base file (b/) of a term: the next bits of the hash after its term shard's (its
    journal is in the state file of its term shard)."""
    h = fnv1a(term)
    return (h % TERM_SHARDS) * STATE_SPLIT + (h // TERM_SHARDS) % STATE_SPLIT


def vocab_key(term: str) -> str:
    """The vocabulary groups terms by their first character (a code point)."""
    return term[0]


def vocab_shard(term: str) -> int:
    return fnv1a(term[0]) % VOCAB_SHARDS


def _url_hash(url: str) -> tuple[int, int]:
    digest = hashlib.sha1(url.encode("utf-8")).digest()
    return (int.from_bytes(digest[:4], "big") % DOC_SHARDS, int.from_bytes(digest[4:8], "big") % (1 << SLOT_BITS))


def encode_key(key: int) -> str:
    return "".join(B64[(key >> shift) & 63] for shift in (18, 12, 6, 0))


def decode_key(text: str) -> int:
    key = 0
    for ch in text:
        key = (key << 6) | _B64_INDEX[ch]
    return key


def _df_bucket(df: int) -> int:
    return int(round(math.log2(df) * 8))


# --------------------------------------------------------------------------- files


def _shard_name(kind: str, shard: int) -> str:
    """search/<kind>/<shard // 64>/<shard % 64>.json (hex); dj-search.js: shardPath."""
    return f"{kind}/{shard // SHARDS_PER_DIR:02x}/{shard % SHARDS_PER_DIR:02x}.json"


def _p_name(shard: int) -> str:
    return _shard_name("p", shard)


def _s_name(shard: int) -> str:
    return _shard_name("s", shard)


def _b_name(shard: int) -> str:
    return _shard_name("b", shard)


def _v_name(shard: int) -> str:
    return _shard_name("v", shard)


def _d_name(shard: int) -> str:
    return _shard_name("d", shard)


# Writing and deleting a release's file (path relative to the release root), e.g. the
# site build's copy-on-write writer; both say whether anything changed.
Writer = Callable[[str, bytes], bool]
Remover = Callable[[str], bool]


def _dumps(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


_EMPTY = _dumps({})


def _params(user_dict: Path) -> dict:
    from importlib.metadata import version

    return {
        "term_shards": TERM_SHARDS,
        "state_split": STATE_SPLIT,
        "vocab_shards": VOCAB_SHARDS,
        "doc_shards": DOC_SHARDS,
        "slot_bits": SLOT_BITS,
        "shards_per_dir": SHARDS_PER_DIR,
        "top_k": TOP_K,
        "title_boost": TITLE_BOOST,
        "avg_len": AVG_LEN,
        "excerpt": EXCERPT_CHARS,
        "max_term": MAX_TERM_CHARS,
        "tokenizer": f"jieba {version('jieba')}, rjieba {version('rjieba')}; user dict sha1 "
        + hashlib.sha1(Path(user_dict).read_bytes()).hexdigest()[:12],
    }


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` to `path` unless it already holds exactly that.

    Always a new file moved over the old name: the old name may be a hard link to the
    previous release's file, which must never change.
    """
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return True


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}


class _Files:
    """The search/ files an update reads, remembering their bytes so that only files whose
    content changes are written (and nothing is read twice).

    `put(rel, data)`, when given, writes a file of the release (rel relative to the
    release root, e.g. "search/p/00.json") instead of writing under `root` directly: the
    site build passes its copy-on-write release writer.
    """

    def __init__(self, root: Path, put: Writer | None = None, remove: Remover | None = None) -> None:
        self.root = root
        self.put = put
        self.remove = remove
        self.original: dict[str, bytes | None] = {}

    def read(self, name: str) -> Any:
        data = self.read_bytes(name)
        return json.loads(data) if data else {}

    def read_bytes(self, name: str) -> bytes | None:
        try:
            data = (self.root / name).read_bytes()
        except FileNotFoundError:
            data = None
        self.original[name] = data
        return data

    def write(self, name: str, data: bytes) -> bool:
        if name.startswith(("s/", "b/")) and data == _EMPTY:
            # A state file exists only while some list it holds is cut to TOP_K.
            if not self.original.get(name):
                return False
            if self.remove is not None:
                return self.remove(f"{SEARCH_DIR}/{name}")
            (self.root / name).unlink()
            return True
        if name in self.original and self.original[name] == data:
            return False
        if self.put is not None:
            return self.put(f"{SEARCH_DIR}/{name}", data)
        return _write_if_changed(self.root / name, data)


_GONE = object()


class _PostingsFile:
    """A public postings file (p/) as an update changes it: a publish changes one or two of
    its ~150 lists, and decoding and encoding the whole file for that was most of what grows
    in an update with the site (the files average 17 KB at 100,000 pages, 6 KB at 10,000).
    The lists are found and replaced in the file's text; one that gains or loses a term is
    decoded and encoded whole. Either way ``dumps()`` is ``_dumps`` of the changed object.

    What makes finding a list in the text exact: ``_dumps`` writes ``"term":`` for a key,
    after ``{`` or ``,``, and a value is ``"postings"`` or ``[bucket,"postings"]``, with no
    ``:`` and no escapes (postings are base64url characters)."""

    def __init__(self, data: bytes | None) -> None:
        self.text = data.decode("utf-8") if data else "{}"
        self.changed: dict[str, Any] = {}  # term -> its new entry, or _GONE
        self._spans: dict[str, tuple[int, int] | None] = {}  # (the text never changes)

    def _span(self, term: str) -> tuple[int, int] | None:
        if term not in self._spans:
            self._spans[term] = self._find_span(term)
        return self._spans[term]

    def _find_span(self, term: str) -> tuple[int, int] | None:
        key = json.dumps(term, ensure_ascii=False) + ":"
        for before in "{,":
            found = self.text.find(before + key)
            if found >= 0:
                start = found + 1 + len(key)
                closing = '"' if self.text[start] == '"' else "]"
                return start, self.text.index(closing, start + 1) + 1
        return None

    def get(self, term: str, default: Any = "") -> Any:
        if term in self.changed:
            entry = self.changed[term]
            return default if entry is _GONE else entry
        span = self._span(term)
        return default if span is None else json.loads(self.text[span[0] : span[1]])

    def __contains__(self, term: str) -> bool:
        return self.get(term, _GONE) is not _GONE

    def __setitem__(self, term: str, entry: Any) -> None:
        self.changed[term] = entry

    def pop(self, term: str) -> None:
        self.changed[term] = _GONE

    def dumps(self) -> bytes:
        spans = {term: self._span(term) for term in self.changed}
        if any((spans[term] is None) != (entry is _GONE) for term, entry in self.changed.items()):
            whole = json.loads(self.text)  # a term comes or goes: the keys' order changes
            for term, entry in self.changed.items():
                if entry is _GONE:
                    whole.pop(term, None)
                else:
                    whole[term] = entry
            return _dumps(whole)
        pieces, done = [], 0
        found = [(span, term) for term, span in spans.items() if span is not None]  # (the rest: gone, and not here)
        for (start, end), term in sorted(found):
            pieces += [self.text[done:start], json.dumps(self.changed[term], ensure_ascii=False, separators=(",", ":"))]
            done = end
        pieces.append(self.text[done:])
        return "".join(pieces).encode("utf-8")


# --------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class Doc:
    url: str  # site-relative, "" for the home page, "news/foo/" for news/foo/index.html
    title: str
    date: str  # YYYY-MM-DD or ""
    excerpt: str
    title_text: str  # what is indexed with the title boost
    body_text: str


def is_indexed_path(rel: str) -> bool:
    """Content pages only: not listing page 2…, not tags, not the search files, not 404."""
    rel = rel.replace(os.sep, "/")
    if not (rel == "index.html" or rel.endswith("/index.html")):
        return False
    if rel.startswith(("tags/", f"{SEARCH_DIR}/", "assets/")) or _LISTING_PAGE.search(rel):
        return False
    return True


def url_of(rel: str) -> str:
    rel = rel.replace(os.sep, "/")
    return rel[: -len("index.html")]


_ARTICLE = re.compile(r'<article class="md-content__inner[^"]*">(.*)</article>', re.S)
_GENERATED = re.compile(r'<section class="dj-(?:listing|subsections)"|<ul class="dj-tags dj-tags--cloud"')
_DROP = re.compile(r"<(script|style|template|nav|svg|button)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", re.S | re.I)
_META = re.compile(r'<p class="dj-meta">(.*?)</p>', re.S)
_META_KEY = re.compile(r'<span class="dj-meta__key">.*?</span>', re.S)
_DATE = re.compile(r'<time datetime="(\d{4}-\d{2}-\d{2})"')
_TAGS = re.compile(r'<ul class="dj-tags"[^>]*>(.*?)</ul>', re.S)
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|h[1-6]|li|ul|ol|table|tr|td|th|thead|tbody|tfoot|caption|figure|"
    r"figcaption|br|hr|section|article|aside|blockquote|pre|dd|dt|dl|details|"
    r"summary|header|footer|main)\b[^>]*>",
    re.I,
)
_IMG_ALT = re.compile(r'<img\b[^>]*\balt="([^"]*)"[^>]*>', re.I)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_NOINDEX = re.compile(r'<meta name="robots" content="[^"]*noindex', re.I)


def _text(fragment: str) -> str:
    fragment = _IMG_ALT.sub(lambda m: f" {m.group(1)} ", fragment)
    fragment = _BLOCK_TAG.sub(" ", fragment)
    fragment = _TAG.sub("", fragment)
    return _SPACE.sub(" ", html.unescape(fragment)).strip()


def extract(page_html: str, rel: str) -> Doc | None:
    """The searchable parts of one rendered page, or None if it is not a content page."""
    if _NOINDEX.search(page_html[:4000]):
        return None
    match = _ARTICLE.search(page_html)
    if not match:
        return None
    article = match.group(1)
    generated = _GENERATED.search(article)
    if generated:  # a section/home page: its listing is other pages' text
        article = article[: generated.start()]
    article = _DROP.sub(" ", article)
    h1 = _H1.search(article)
    if h1:
        title = _text(h1.group(1))
        article = article[: h1.start()] + " " + article[h1.end() :]
    else:
        found = re.search(r"<title>(.*?)</title>", page_html, re.S)
        title = _text(found.group(1)) if found else url_of(rel)
    date, extra = "", []
    meta = _META.search(article)
    if meta:
        found = _DATE.search(meta.group(1))
        date = found.group(1) if found else ""
        inner = re.sub(r"<time\b.*?</time>", " ", meta.group(1), flags=re.S)
        extra.append(_text(_META_KEY.sub(" ", inner)))
        article = article[: meta.start()] + " " + article[meta.end() :]
    tags = _TAGS.search(article)
    if tags:
        extra.append(_text(tags.group(1)))
        article = article[: tags.start()] + " " + article[tags.end() :]
    body = _text(article)
    excerpt = body[:EXCERPT_CHARS]
    return Doc(
        url=url_of(rel),
        title=title,
        date=date,
        excerpt=excerpt,
        title_text=title,
        body_text=" ".join([*extra, body]).strip(),
    )


def _read_doc(root: Path, rel: str) -> Doc | None:
    try:
        text = (root / rel).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    return extract(text, rel)


# --------------------------------------------------------------------------- tokens

_tokenizer: Segmenter | None = None
_tokenizer_dict: Path | None = None

_CHINESE_ONLY = re.compile("[\u4e00-\u9fd5]+")
# A dictionary word that no run of Chinese characters contains (see Segmenter).
_TOTAL_BALANCE = "\ue000"


class Segmenter:
    """jieba's segmentation, word for word: its dictionary and the site's user dictionary,
    the HMM for unknown words. Runs of Chinese characters, nearly all of the text, are cut
    by jieba-rs (``rjieba``), the same algorithm compiled: ~15x faster, and jieba was most
    of a full build's CPU (bench/README.md, full_build). The rest (numbers, Latin words,
    punctuation) still goes through jieba itself, whose rules for them rjieba does not
    share (it keeps "2024-12" as one word, jieba gives "2024", "-", "12")."""

    def __init__(self, user_dict: Path) -> None:
        import logging

        import jieba
        import rjieba

        jieba.setLogLevel(logging.WARNING)
        self.jieba = jieba.Tokenizer()
        self.jieba.initialize()
        self.jieba.load_userdict(str(user_dict))
        self.FREQ: dict[str, int] = self.jieba.FREQ
        fast = rjieba.Jieba.empty()
        total = 0
        for word, freq in self.FREQ.items():
            if freq > 0:  # (jieba's prefixes of words have 0 and are never a word)
                fast.add_word(word, freq, None)
                total += freq
        # Every route's score depends on the dictionary's total. jieba adds a word given
        # again (a user dictionary word that is in the main one) to the total without taking
        # its old frequency off; rjieba replaces it. A word that no run of Chinese
        # characters can hold carries the difference, so both totals are the same.
        if self.jieba.total > total:
            fast.add_word(_TOTAL_BALANCE, self.jieba.total - total, None)
        self._fast = fast
        # How jieba.Tokenizer.cut splits a text before segmenting: runs of its "han" characters
        # are segmented, everything between them is given back whitespace run by whitespace
        # run and character by character.
        self._block, self._skip = jieba.re_han_default, jieba.re_skip_default

    def cut(self, text: str) -> Iterator[str]:
        """What ``jieba.Tokenizer.cut(text, HMM=True)`` gives."""
        for block in self._block.split(text):
            if not block:
                continue
            if _CHINESE_ONLY.fullmatch(block):
                yield from self._fast.cut(block, True)
            elif self._block.fullmatch(block):
                yield from self.jieba.cut(block, HMM=True)
            else:
                for part in self._skip.split(block):
                    if self._skip.match(part):
                        yield part
                    else:
                        yield from part


def tokenizer(user_dict: Path | str = DEFAULT_USER_DICT) -> Segmenter:
    """One warm segmenter per process (loading the dictionaries takes ~1 s)."""
    global _tokenizer, _tokenizer_dict
    user_dict = Path(user_dict)
    if _tokenizer is None or _tokenizer_dict != user_dict:
        _tokenizer, _tokenizer_dict = Segmenter(user_dict), user_dict
    return _tokenizer


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def tokens(text: str, tk: Segmenter | None = None) -> list[str]:
    """Index terms of `text`: jieba's words plus every dictionary word inside a longer word
    (like cut_for_search, but all lengths: 主题党日活动 also yields 主题党日)."""
    tk = tk or tokenizer()
    freq = tk.FREQ
    out = []
    for word in tk.cut(_normalise(text)):
        if not word.isalnum():  # (nearly every word is: Chinese characters are)
            word = word.strip()
            if not word or not any(ch.isalnum() for ch in word):
                continue
        n = len(word)
        if n > 2:
            for size in range(2, min(n, MAX_TERM_CHARS + 1)):
                for i in range(n - size + 1):
                    sub = word[i : i + size]
                    if freq.get(sub):
                        out.append(sub)
        if n <= MAX_TERM_CHARS and word not in STOPWORDS:
            out.append(word)
    return out


def doc_vector(doc: Doc, tk: Segmenter | None = None) -> dict[str, int]:
    """term -> quantised score 1..63 (one base64 char), from this document alone."""
    title_terms = set(tokens(doc.title_text, tk))
    body = tokens(doc.body_text, tk)
    tf: dict[str, int] = defaultdict(int)
    for term in body:
        tf[term] += 1
    norm = BM25_K1 * (1 - BM25_B + BM25_B * max(len(body), 1) / AVG_LEN)
    vector = {}
    for term in set(tf) | title_terms:
        count = tf.get(term, 0)
        score = (TITLE_BOOST if term in title_terms else 0.0) + count * (BM25_K1 + 1) / (count + norm)
        vector[term] = max(1, min(63, int(round(score * 10))))
    return vector


# --------------------------------------------------------------------------- postings


# A posting is 5 characters: B64[63 - score] then the 4-character doc key. A list is the
# sorted concatenation, i.e. best score first and then by key, and stays a plain string
# in memory: an update is a binary search and a splice, never a decode of the list.


def _chunk(key: int, score: int) -> str:
    return _encoded_chunk(encode_key(key), score)


def _encoded_chunk(encoded_key: str, score: int) -> str:
    return B64[63 - score] + encoded_key


def _encode_postings(chunks: Iterable[str]) -> str:
    return "".join(sorted(chunks))


def _find(postings: str, chunk: str) -> int:
    lo, hi = 0, len(postings) // 5
    while lo < hi:
        mid = (lo + hi) // 2
        if postings[mid * 5 : mid * 5 + 5] < chunk:
            lo = mid + 1
        else:
            hi = mid
    return lo * 5


def _contains(postings: str, chunk: str) -> bool:
    pos = _find(postings, chunk)
    return postings[pos : pos + 5] == chunk


def _insert(postings: str, chunk: str) -> str:
    pos = _find(postings, chunk)
    return postings if postings[pos : pos + 5] == chunk else postings[:pos] + chunk + postings[pos:]


def _delete(postings: str, chunk: str) -> str:
    pos = _find(postings, chunk)
    return postings[:pos] + postings[pos + 5 :] if postings[pos : pos + 5] == chunk else postings


def _chunks(postings: str) -> list[str]:
    return [postings[i : i + 5] for i in range(0, len(postings), 5)]


def _merged(base: str, added: str, removed: str) -> str:
    """A cut list's complete postings: its base list without `removed`, with `added`.

    The base of a common word holds most pages (250 KB of postings at 100,000 pages) and a
    publish that takes a page out of its top refills from it: the few edits are found by
    binary search and the base is copied once, in slices, rather than cut into chunks."""
    if not added and not removed:
        return base
    edits = [(_find(base, chunk), 0, chunk) for chunk in _chunks(added)]
    for chunk in _chunks(removed):
        position = _find(base, chunk)
        if base[position : position + 5] == chunk:
            edits.append((position, 1, chunk))
    pieces, start = [], 0
    for position, is_removal, chunk in sorted(edits):  # at one place: insertions first
        pieces.append(base[start:position])
        if is_removal:
            start = position + 5
        else:
            pieces.append(chunk)
            start = position
    pieces.append(base[start:])
    return "".join(pieces)


def state_lists(search_dir: str | os.PathLike[str]) -> dict[str, tuple[int, str]]:
    """term -> (document frequency, complete postings) of every cut list, as the state files
    of `search_dir` say (a full build and updates of the same pages must agree on these)."""
    search = Path(search_dir)
    lists = {}
    bases: dict[int, dict] = {}
    # (followlinks: a release's directories may be shared ones, build_scripts/release_tree.py)
    for directory, _subdirs, filenames in os.walk(search / "s", followlinks=True):
        for filename in filenames:
            for term, (df, added, removed) in _read_json(Path(directory) / filename).items():
                number = state_shard(term)
                if number not in bases:
                    bases[number] = _read_json(search / _b_name(number))
                lists[term] = (df, _merged(bases[number].get(term, ""), added, removed))
    return lists


def _public_entry(full: str) -> str | list[Any]:
    if len(full) <= TOP_K * 5:
        return full
    return [_df_bucket(len(full) // 5), full[: TOP_K * 5]]


def _assign_keys(urls: Iterable[str]) -> dict[str, int]:
    """Doc keys for the URLs of ONE doc shard: slot from the hash, collisions probe upwards
    in (hash, url) order — a function of the set, so full and incremental builds agree."""
    taken: set[int] = set()
    keys = {}
    for slot, url, shard in sorted((_url_hash(u)[1], u, _url_hash(u)[0]) for u in urls):
        while slot in taken:
            slot = (slot + 1) % (1 << SLOT_BITS)
        taken.add(slot)
        keys[url] = (shard << SLOT_BITS) | slot
    return keys


def _doc_record(doc: Doc) -> list:
    return [doc.url, doc.title, doc.date, doc.excerpt]


# --------------------------------------------------------------------------- full build


def _list_pages(release: Path) -> list[str]:
    found = []
    # followlinks: a release's directories may be shared ones (build_scripts/release_tree.py).
    for directory, subdirs, filenames in os.walk(release, followlinks=True):
        rel_dir = os.path.relpath(directory, release)
        if rel_dir == ".":
            subdirs[:] = [d for d in subdirs if d not in (SEARCH_DIR, "assets", "tags")]
            rel_dir = ""
        if "index.html" in filenames:
            rel = (rel_dir + "/index.html") if rel_dir else "index.html"
            if is_indexed_path(rel):
                found.append(rel.replace(os.sep, "/"))
    return sorted(found)


#: What analysing one page gives: its path, and the document's record (``_doc_record``) with
#: its term vector, or None for both when the page has nothing to index. Only what the index
#: keeps comes back from a pool child, not the page's text.
Analysed = tuple[str, list | None, dict[str, int] | None]


def _analyse(args: tuple[str, str, str]) -> Analysed:
    root, rel, user_dict = args
    return _analysed(rel, _read_doc(Path(root), rel), user_dict)


def _analyse_texts(pages: list[tuple[str, str]], user_dict: str) -> list[Analysed]:
    return [_analysed(rel, extract(text, rel), user_dict) for rel, text in pages]


def _analysed(rel: str, doc: Doc | None, user_dict: str) -> Analysed:
    if doc is None:
        return rel, None, None
    return rel, _doc_record(doc), doc_vector(doc, tokenizer(user_dict))


class FullIndex:
    """The pages of a full build folded in one by one as they are analysed: per page only the
    record the index keeps, per term its (page, score) pairs packed into 4 bytes each. Memory
    then grows by what the index will hold, not by every page's term dictionary and text
    until the last page is in (at 100,000 pages that was most of the build's memory), and
    ``files()`` encodes one shard at a time. The files are exactly what folding the pages in
    any order gives."""

    #: A posting in memory: page number << 6 | score (1..63), unsigned 32 bits.
    MAX_PAGES = 1 << 26

    def __init__(self) -> None:
        self.records: dict[str, list] = {}  # url -> [url, title, date, excerpt]
        self._urls: list[str] = []  # page number -> url
        self._postings: dict[str, array] = {}  # term -> packed postings
        self.analysed = 0  # pages folded in, indexed or not

    def add(self, result: Analysed) -> None:
        self.analysed += 1
        _rel, record, vector = result
        if record is None or vector is None:  # (both or neither: _analysed)
            return
        url = record[0]
        if url in self.records:
            raise ValueError(f"two pages with the address {url!r} in the search index")
        number = len(self._urls)
        if number >= self.MAX_PAGES:
            raise ValueError(f"more than {self.MAX_PAGES} pages for one search index")
        self._urls.append(url)
        self.records[url] = record
        postings = self._postings
        for term, score in vector.items():
            packed = postings.get(term)
            if packed is None:
                packed = postings[term] = array("I")
            packed.append(number << 6 | score)

    def files(self, user_dict: Path) -> Iterator[tuple[str, bytes]]:
        """(name under search/, bytes) of every file, one term shard's postings at a time."""
        by_shard: dict[int, list[str]] = defaultdict(list)
        for url in self._urls:
            by_shard[_url_hash(url)[0]].append(url)
        keys: dict[str, int] = {}
        for urls in by_shard.values():
            keys.update(_assign_keys(urls))
        encoded = [encode_key(keys[url]) for url in self._urls]  # by page number

        terms_by_shard: list[list[str]] = [[] for _ in range(TERM_SHARDS)]
        v_files: list[dict] = [defaultdict(list) for _ in range(VOCAB_SHARDS)]
        for term in self._postings:
            terms_by_shard[term_shard(term)].append(term)
            v_files[vocab_shard(term)][vocab_key(term)].append(term)
        for i, terms in enumerate(terms_by_shard):
            public: dict[str, Any] = {}
            journal: dict[str, list] = {}
            bases: dict[int, dict[str, str]] = defaultdict(dict)
            for term in terms:
                full = _encode_postings(_encoded_chunk(encoded[pair >> 6], pair & 63) for pair in self._postings[term])
                public[term] = _public_entry(full)
                if len(full) > TOP_K * 5:
                    journal[term] = [len(full) // 5, "", ""]
                    bases[state_shard(term)][term] = full
            yield _p_name(i), _dumps(public)
            if journal:  # only files holding a cut list
                yield _s_name(i), _dumps(journal)
            for number, base in sorted(bases.items()):
                yield _b_name(number), _dumps(base)
        for i in range(VOCAB_SHARDS):
            yield _v_name(i), _dumps({c: sorted(t) for c, t in v_files[i].items()})
        d_files: list[dict] = [{} for _ in range(DOC_SHARDS)]
        for url, record in self.records.items():
            d_files[keys[url] >> SLOT_BITS][encode_key(keys[url])] = record
        for i in range(DOC_SHARDS):
            yield _d_name(i), _dumps(d_files[i])
        yield "meta.json", _meta(len(self.records), user_dict)


def _fork_pool(workers: int) -> Any:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    )


class Analyser:
    """Analyses the pages of a full build while they are rendered: the renderer runs in one
    process, so the other cores segment each page as soon as it is written instead of all of
    them after the last one. ``submit(rel, html)`` with the page's bytes as written (MkDocs
    writes UTF-8 with ``xmlcharrefreplace``), ``results()`` after the last page; what
    ``build_search_index`` gets is exactly what reading the files would give. Each answer is
    folded into the index (``FullIndex``) as soon as it is back, so only the pages still
    being analysed are held.

    Pages go to the pool BATCH_PAGES at a time: a submit per page cost the renderer ~1 ms
    of waiting on the pool's threads for the interpreter lock (bench/README.md, full_build),
    more than segmenting the page now costs."""

    BATCH_PAGES = 32

    def __init__(self, user_dict: Path = DEFAULT_USER_DICT, workers: int | None = None) -> None:
        self.user_dict = str(Path(user_dict))
        tokenizer(user_dict)  # loaded before forking: the children inherit the dictionary
        # The renderer keeps one core busy; segmenting a page costs a fraction of rendering it.
        workers = workers or max(1, min((os.cpu_count() or 2) - 1, 8))
        self._pool = _fork_pool(workers)
        self._futures: deque[Any] = deque()
        self._batch: list[tuple[str, str]] = []
        self.index = FullIndex()
        self.paths: set[str] = set()  # every page submitted, analysed or being analysed
        self.exact = True
        try:  # fork the children now, while this process is small, not in the middle of a render
            for started in [self._pool.submit(os.getpid) for _ in range(workers)]:
                started.result()
        except BaseException:
            self.close()
            raise

    def submit(self, rel: str, html: str) -> None:
        if rel in self.paths:  # written again: the index will be made from the files
            self.exact = False
        if self.exact and is_indexed_path(rel):
            text = html.encode("utf-8", errors="xmlcharrefreplace").decode("utf-8")
            self.paths.add(rel)
            self._batch.append((rel, text))
            if len(self._batch) >= self.BATCH_PAGES:
                self._send_batch()
            while self._futures and self._futures[0].done():
                self._fold(self._futures.popleft())

    def _send_batch(self) -> None:
        if self._batch:
            self._futures.append(self._pool.submit(_analyse_texts, self._batch, self.user_dict))
            self._batch = []

    def _fold(self, future: Any) -> None:
        for result in future.result():
            self.index.add(result)

    def results(self) -> AnalysedPages:
        self._send_batch()
        while self._futures:
            self._fold(self._futures.popleft())
        return AnalysedPages(self.paths, self.index, self.exact)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class AnalysedPages:
    """What an ``Analyser`` gives ``build_search_index``: the pages it analysed, folded in.
    ``exact``: each page was submitted once (a page written twice would have been folded in
    twice: the index is then made from the files)."""

    paths: set[str]
    index: FullIndex
    exact: bool


def _analyse_all(root: Path, rels: list[str], user_dict: Path, workers: int | None, into: FullIndex) -> None:
    tokenizer(user_dict)  # warm before forking: children inherit the dictionary
    jobs = [(str(root), rel, str(user_dict)) for rel in rels]
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if len(jobs) >= 400 else 1
    if workers <= 1:
        for job in jobs:
            into.add(_analyse(job))
        return
    with _fork_pool(workers) as pool:
        for result in pool.map(_analyse, jobs, chunksize=64):  # in order, as they come
            into.add(result)


@dataclass
class Stats:
    mode: str  # "full" | "incremental"
    documents: int
    analysed: int  # pages read and segmented
    files_written: int
    seconds: float


def build_search_index(
    release_dir: str | os.PathLike[str],
    *,
    user_dict: Path = DEFAULT_USER_DICT,
    workers: int | None = None,
    write: Writer | None = None,
    remove: Remover | None = None,
    analysed: AnalysedPages | None = None,
) -> Stats:
    """Index every content page of `release_dir` into `release_dir`/search/ (full build).

    `write(rel, data)` and `remove(rel)` (paths relative to the release root), when given,
    replace writing and deleting under `release_dir` directly (see ``_Files``). `analysed`:
    pages an ``Analyser`` already segmented while they were rendered (the rest are read).
    """
    started = time.monotonic()
    release = Path(release_dir)
    user_dict = Path(user_dict)
    rels = _list_pages(release)
    if analysed is not None and analysed.exact and analysed.paths <= set(rels):
        index, done = analysed.index, analysed.paths
    else:  # what was analysed is not exactly what the release holds: its files are read
        index, done = FullIndex(), set()
    _analyse_all(release, [r for r in rels if r not in done], user_dict, workers, into=index)
    documents, analysed_count = len(index.records), index.analysed

    out = release / SEARCH_DIR
    names, written = set(), 0
    for name, data in index.files(user_dict):
        names.add(name)
        written += _write_if_changed(out / name, data) if write is None else write(f"{SEARCH_DIR}/{name}", data)
    # Anything else under search/ (an older format, material's search_index.json) goes.
    for directory, _subdirs, filenames in os.walk(out, followlinks=True):
        for filename in filenames:
            name = os.path.relpath(os.path.join(directory, filename), out).replace(os.sep, "/")
            if name not in names:
                if remove is None:
                    os.unlink(os.path.join(directory, filename))
                else:
                    remove(f"{SEARCH_DIR}/{name}")
    return Stats("full", documents, analysed_count, written, round(time.monotonic() - started, 3))


def _meta(documents: int, user_dict: Path) -> bytes:
    return _dumps({"format": FORMAT, "documents": documents, **_params(user_dict)}) + b"\n"


# --------------------------------------------------------------------------- incremental


def update_search_index(
    release_dir: str | os.PathLike[str],
    previous_release_dir: str | os.PathLike[str],
    changed_html: Iterable[str],
    removed_html: Iterable[str],
    *,
    user_dict: Path = DEFAULT_USER_DICT,
    workers: int | None = None,
    write: Writer | None = None,
    remove: Remover | None = None,
) -> Stats:
    """Bring `release_dir`/search/ up to date after `changed_html` pages were (re)rendered
    and `removed_html` pages removed since `previous_release_dir` (paths relative to the
    release, e.g. "news/foo/index.html"; other paths are ignored).

    Work and rewritten files are proportional to the number of changed pages. Falls back
    to a full build when there is no previous index or it was built with other parameters
    (format, shard counts, dictionary). The result is byte-identical to a full build.

    `write(rel, data)` and `remove(rel)`, when given, write and delete the release's files
    (see ``_Files``); without them the files are written under `release_dir`/search/
    directly, and files the new release lacks are first hard-linked from the previous one.
    """
    started = time.monotonic()
    release = Path(release_dir)
    user_dict = Path(user_dict)
    if previous_release_dir is None:
        return build_search_index(release, user_dict=user_dict, workers=workers, write=write, remove=remove)
    previous = Path(previous_release_dir)
    prev_search, out = previous / SEARCH_DIR, release / SEARCH_DIR
    try:
        prev_meta = json.loads((prev_search / "meta.json").read_bytes())
    except (FileNotFoundError, ValueError):
        prev_meta = None
    expected = json.loads(_meta(0, user_dict))
    if not prev_meta or {k: v for k, v in prev_meta.items() if k != "documents"} != {
        k: v for k, v in expected.items() if k != "documents"
    }:
        return build_search_index(release, user_dict=user_dict, workers=workers, write=write, remove=remove)

    if write is None:
        _link_missing(prev_search, out)

    paths = sorted({p.replace(os.sep, "/") for p in [*changed_html, *removed_html]})
    paths = [p for p in paths if is_indexed_path(p)]
    removed = {p.replace(os.sep, "/") for p in removed_html}
    tk = tokenizer(user_dict)

    # Old and new version of every touched page; unchanged text (a page re-rendered for a
    # new banner or navigation) costs one read each and no segmentation.
    old_docs: dict[str, Doc] = {}
    new_docs: dict[str, Doc] = {}
    for rel in paths:
        old = _read_doc(previous, rel)
        new = None if rel in removed else _read_doc(release, rel)
        if old == new:
            continue
        if old is not None:
            old_docs[old.url] = old
        if new is not None:
            new_docs[new.url] = new
    if not old_docs and not new_docs:
        return Stats("incremental", prev_meta["documents"], 0, 0, round(time.monotonic() - started, 3))

    # Doc shards whose URL set or records change; recompute their keys.
    d_cache: dict[int, dict] = {}

    store = _Files(out, write, remove)

    def d_shard(i: int) -> dict:
        if i not in d_cache:
            d_cache[i] = store.read(_d_name(i))
        return d_cache[i]

    old_keys: dict[str, int] = {}
    new_keys: dict[str, int] = {}
    for i in sorted({_url_hash(u)[0] for u in [*old_docs, *new_docs]}):
        records = d_shard(i)
        by_url = {rec[0]: rec for rec in records.values()}
        before = {rec[0]: decode_key(k) for k, rec in records.items()}
        urls = (set(before) - set(old_docs)) | {u for u in new_docs if _url_hash(u)[0] == i}
        after = _assign_keys(urls)
        old_keys.update(before)
        new_keys.update(after)
        d_cache[i] = {
            encode_key(key): _doc_record(new_docs[url]) if url in new_docs else by_url[url]
            for url, key in after.items()
        }

    # Pages whose key moved (a hash collision neighbour) need their postings moved too.
    analysed = 0
    removals: dict[str, list[str]] = defaultdict(list)  # term -> posting chunks to drop
    additions: dict[str, list[str]] = defaultdict(list)

    def unpost(vector: dict[str, int], key: int) -> None:
        for term, score in vector.items():
            removals[term].append(_chunk(key, score))

    def add(vector: dict[str, int], key: int) -> None:
        for term, score in vector.items():
            additions[term].append(_chunk(key, score))

    moved = [
        u for u in new_keys if u in old_keys and new_keys[u] != old_keys[u] and u not in new_docs and u not in old_docs
    ]
    for url in sorted(moved):
        doc = _read_doc(release, url + "index.html")
        assert doc is not None, url  # an indexed page of both releases whose HTML did not change
        vector = doc_vector(doc, tk)
        analysed += 1
        unpost(vector, old_keys[url])
        add(vector, new_keys[url])
    for url, doc in sorted(old_docs.items()):
        unpost(doc_vector(doc, tk), old_keys[url])
        analysed += 1
    for url, doc in sorted(new_docs.items()):
        add(doc_vector(doc, tk), new_keys[url])
        analysed += 1

    # Apply to the touched posting / state / vocabulary shards.
    by_shard: dict[int, list[str]] = defaultdict(list)
    for term in set(removals) | set(additions):
        by_shard[term_shard(term)].append(term)
    files: dict[str, bytes] = {}
    vocab_changes: dict[int, dict[str, bool]] = defaultdict(dict)  # shard -> term -> present
    journals: dict[int, dict] = {}  # term shard -> state file read (cut lists, before or after)
    bases: dict[int, dict] = {}  # base files read (a refill, a list no longer cut, a compaction)
    bases_changed: set[int] = set()

    def journal_of(shard: int) -> dict:
        if shard not in journals:
            journals[shard] = store.read(_s_name(shard))
        return journals[shard]

    def base_of(number: int) -> dict:
        if number not in bases:
            bases[number] = store.read(_b_name(number))
        return bases[number]

    for shard, terms in sorted(by_shard.items()):
        public = _PostingsFile(store.read_bytes(_p_name(shard)))
        for term in sorted(terms):
            # A posting removed and added again (an edit that keeps the term's score) stays.
            dropped = set(removals.get(term, ())) - set(additions.get(term, ()))
            added = set(additions.get(term, ())) - set(removals.get(term, ()))
            entry = public.get(term, "")
            existed = bool(entry)
            number = state_shard(term)
            if isinstance(entry, str):  # not cut: the public list is the complete one
                full = entry
                for chunk in sorted(dropped):
                    full = _delete(full, chunk)
                for chunk in sorted(added):
                    full = _insert(full, chunk)
                if len(full) > TOP_K * 5:  # cut from now on: no base list yet
                    journal_of(shard)[term] = [len(full) // 5, full, ""]
                if full:
                    public[term] = _public_entry(full)
                else:
                    public.pop(term)
            else:  # cut to TOP_K: the state entry says what changed since the base list
                journal = journal_of(shard)
                assert term in journal, f"search state lacks the list of {term!r}"
                df, journal_added, journal_removed = journal[term]
                top = entry[1]
                refill = any(_contains(top, chunk) for chunk in dropped)
                for chunk in sorted(dropped):
                    if _contains(journal_added, chunk):
                        journal_added = _delete(journal_added, chunk)
                    else:
                        journal_removed = _insert(journal_removed, chunk)
                    df -= 1
                for chunk in sorted(added):
                    if _contains(journal_removed, chunk):
                        journal_removed = _delete(journal_removed, chunk)
                    else:
                        journal_added = _insert(journal_added, chunk)
                    df += 1
                if refill or df <= TOP_K:  # the next best, or the whole list, from the base
                    full = _merged(base_of(number).get(term, ""), journal_added, journal_removed)
                    assert len(full) == df * 5, f"search state of {term!r} does not add up"
                    if df <= TOP_K:
                        del journal[term]
                        if base_of(number).pop(term, None) is not None:
                            bases_changed.add(number)
                        if full:
                            public[term] = full
                        else:
                            public.pop(term)
                    else:
                        journal[term] = [df, journal_added, journal_removed]
                        public[term] = _public_entry(full)
                else:
                    for chunk in sorted(added):
                        if chunk < top[-5:]:
                            top = _insert(top, chunk)[: TOP_K * 5]
                    journal[term] = [df, journal_added, journal_removed]
                    public[term] = [_df_bucket(df), top]
            if existed != (term in public):
                vocab_changes[vocab_shard(term)][term] = term in public
        files[_p_name(shard)] = public.dumps()
    for shard, journal in journals.items():
        # Only terms with changes to fold count (an empty journal folds into its base as it
        # is), and no base file's terms can pass the limit unless the whole file's do: the
        # common case hashes no term here.
        pending = [term for term, (_df, added, removed) in journal.items() if added or removed]
        if sum(len(journal[t][1]) + len(journal[t][2]) for t in pending) <= JOURNAL_LIMIT:
            pending = []
        by_base: dict[int, list[str]] = defaultdict(list)
        for term in pending:
            by_base[state_shard(term)].append(term)
        for number, terms in sorted(by_base.items()):
            if sum(len(journal[t][1]) + len(journal[t][2]) for t in terms) <= JOURNAL_LIMIT:
                continue
            base = base_of(number)  # compaction: these journals folded into their base file
            for term in terms:
                df, added, removed = journal[term]
                base[term] = _merged(base.get(term, ""), added, removed)
                journal[term] = [df, "", ""]
            bases_changed.add(number)
        files[_s_name(shard)] = _dumps(journal)
    for number in bases_changed:
        files[_b_name(number)] = _dumps(bases[number])
    for shard, changes in sorted(vocab_changes.items()):
        vocab = store.read(_v_name(shard))
        grouped = {c: set(t) for c, t in vocab.items()}
        for term, present in changes.items():
            bucket = grouped.setdefault(vocab_key(term), set())
            (bucket.add if present else bucket.discard)(term)
        files[_v_name(shard)] = _dumps({c: sorted(t) for c, t in grouped.items() if t})
    for i, records in d_cache.items():
        files[_d_name(i)] = _dumps(records)
    documents = prev_meta["documents"] + len(set(new_docs) - set(old_docs)) - len(set(old_docs) - set(new_docs))
    files["meta.json"] = _meta(documents, user_dict)

    written = sum(store.write(name, data) for name, data in sorted(files.items()))
    return Stats("incremental", documents, analysed, written, round(time.monotonic() - started, 3))


def _link_missing(prev_search: Path, out: Path) -> None:
    """Share the previous release's search files that the new release lacks (a caller
    that hard-linked the whole previous release already has them all)."""
    for directory, _subdirs, filenames in os.walk(prev_search):
        rel = os.path.relpath(directory, prev_search)
        target_dir = out / rel if rel != "." else out
        target_dir.mkdir(parents=True, exist_ok=True)
        for filename in filenames:
            target = target_dir / filename
            if not target.exists():
                os.link(Path(directory) / filename, target)


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="全站搜索索引（静态分片，可增量更新）")
    parser.add_argument("release", help="已构建的网站目录（某个版本目录）")
    parser.add_argument("--previous", help="上一版本目录：只更新 --changed/--removed 列出的页面")
    parser.add_argument("--changed", nargs="*", default=[])
    parser.add_argument("--removed", nargs="*", default=[])
    args = parser.parse_args(argv)
    if args.previous:
        stats = update_search_index(args.release, args.previous, args.changed, args.removed)
    else:
        stats = build_search_index(args.release)
    print(json.dumps(stats.__dict__, ensure_ascii=False), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# --------------------------------------------------------------------------- reference query


_SPLIT = re.compile(
    r"[\s,.;:!?'\"()\[\]{}<>/\\|`~@#$%^&*+=\u3000-\u303f\uff01-\uff0f\uff1a-\uff20"
    r"\uff3b-\uff40\uff5b-\uff65\u2010-\u2027\u00b7]+"
)


def query(search_dir: str | os.PathLike[str], text: str, *, limit: int = 10) -> dict[str, Any]:
    """What dj-search.js does, in Python (for tests and the benchmark): the ranked results
    and every file the browser fetches for them (relative to search/)."""
    root = Path(search_dir)
    fetched: list[str] = []

    def load(name: str) -> Any:
        if name not in fetched:
            fetched.append(name)
        return _read_json(root / name)

    meta = load("meta.json")
    chunks = [c for c in _SPLIT.split(_normalise(text)) if c]
    vocab: dict[str, set] = defaultdict(set)

    def shard(kind: str, number: int) -> str:
        per_dir = meta["shards_per_dir"]
        return f"{kind}/{number // per_dir:02x}/{number % per_dir:02x}.json"

    for ch in sorted({ch for chunk in chunks for ch in chunk}):
        for first, words in load(shard("v", fnv1a(ch) % meta["vocab_shards"])).items():
            vocab[first].update(words)

    def has(term: str) -> bool:
        return term in vocab.get(term[0], ())

    primary, secondary, seen = [], [], set()
    for chunk in chunks:
        i = 0
        while i < len(chunk):
            best = next(
                (chunk[i : i + n] for n in range(min(MAX_TERM_CHARS, len(chunk) - i), 0, -1) if has(chunk[i : i + n])),
                None,
            )
            if best and best not in seen:
                seen.add(best)
                primary.append(best)
            i += len(best) if best else 1
    for word in primary:
        for size in range(len(word) - 1, 1, -1):
            for j in range(len(word) - size + 1):
                sub = word[j : j + size]
                if sub not in seen and has(sub):
                    seen.add(sub)
                    secondary.append(sub)
    primary = primary[:8]  # as dj-search.js: at most 8 terms, own words first
    secondary = secondary[: 8 - len(primary)]
    n_docs = meta["documents"] or 1
    docs: dict[str, list] = {}  # key -> [hits, score, mask]
    for weight, terms in ((1.0, primary), (0.4, secondary)):
        for index, term in enumerate(terms):
            entry = load(shard("p", fnv1a(term) % meta["term_shards"])).get(term)
            if entry is None:
                continue
            if isinstance(entry, str):
                postings, df = entry, len(entry) // 5
            else:
                postings, df = entry[1], round(2 ** (entry[0] / 8))
            idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
            for i in range(0, len(postings), 5):
                key = postings[i + 1 : i + 5]
                doc = docs.setdefault(key, [0, 0.0, set()])
                doc[1] += weight * idf * (63 - _B64_INDEX[postings[i]])
                if weight == 1.0 and index not in doc[2]:
                    doc[2].add(index)
                    doc[0] += 1
    ranked = sorted(docs.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    results = []
    for key, _ in ranked[:limit]:
        results.append(load(shard("d", decode_key(key) >> meta["slot_bits"]))[key])
    return {
        "terms": primary,
        "secondary": secondary,
        "total": len(ranked),
        "results": results,
        "files": fetched,
        "bytes": sum((root / name).stat().st_size for name in fetched),
    }
