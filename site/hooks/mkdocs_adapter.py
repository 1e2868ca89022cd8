"""The MkDocs adapter: the one module that knows MkDocs and mkdocs-material.

The engine (``build_scripts``) owns the catalogue of content/ and decides what a build
renders (``build_scripts.output_plan``); this hook turns that plan into MkDocs' terms and
the rendered pages' context into what our templates (``site/overrides``) print:

* ``render`` runs MkDocs for ``build_scripts.site_build`` (which loads this file by path,
  like MkDocs loads it as a hook from mkdocs.yml); the build's ``RenderRequest``
  (``build_scripts.render_request``) says which mode, catalogue and changes;
* ``on_files`` hands MkDocs the files to render: every file of content/ in a full build,
  only the planned ones (plus what they link to) in an incremental one, the generated
  listing pages and the site's own pages (``build_scripts.site_pages``);
* the navigation is home + top-level sections only, so an article's HTML does not depend
  on any other article (material's default nav puts every page into every page);
* ``on_page_context`` gives templates ``dj``: article meta, breadcrumbs, listings, the
  public form (``build_scripts.public_forms``);
* ``on_post_build`` writes the files the engine made itself (sitemap shards, feed);
* material's navigation tabs and drawer are rendered once per navigation state and reused
  (``_navigation_fragment``): with sections-only navigation every article of a section
  gets the same HTML there; its ``__config`` script once per depth (``_config_script``);
* a full build on more than one core converts a share of the pages' Markdown in a forked
  helper (``_start_markdown_helper``, ``build_scripts/forked_helper.py``);
* every value from content/ is made safe on its way into HTML (``build_scripts.html_safety``):
  rendered Markdown is sanitised (``on_page_content``), our templates autoescape
  (``on_env``), and the values material's own templates print raw — page and navigation
  titles, the site name, table-of-contents entries, page meta — are handed to them
  already escaped; content pages cannot set any other front matter material reads.

Moving to material's successor means rewriting this file only: nothing else imports MkDocs
(tests/build_scripts/test_engine_layout.py checks that).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import sys
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import markdown
import material as material_theme
from markupsafe import Markup
from mkdocs.commands.build import _populate_page
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, PluginError
from mkdocs.structure import pages as mkdocs_pages
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.utils import normalize_url

from build_scripts import catalogue as cat
from build_scripts import media_store, output_plan, public_forms, render_request, site_pages
from build_scripts.failpoints import pause_point
from build_scripts.forked_helper import ForkedHelper, LogCapture, replay
from build_scripts.html_safety import escape, html_to_text, plain, safe_url, sanitize_html
from build_scripts.page_model import (
    CONTENT_LOG,
    FORM_TYPE,
    SHANGHAI,
    ContentError,
    SiteInputs,
    article_view,
    dest_for,
    listing_view,
    normalise_announcement,
)
from build_scripts.render_request import RenderFailed, RenderRequest, RenderSettings
from build_scripts.sharing import absolute_image, share_view
from build_scripts.site_paths import FEED, SITEMAP, SITEMAP_DIR, TAGS_DIR

# This build's catalogue, request, shared inputs and plan. MkDocs loads a hook module afresh
# for every configuration it loads, so these belong to one build.
_state = cat.Catalogue()
_request: RenderRequest | None = None
_inputs: SiteInputs | None = None
_plan: output_plan.BuildPlan | None = None


# --------------------------------------------------------------------------- running MkDocs


def markdown_options(site_dir: Path) -> tuple[list[Any], dict[str, Any]]:
    """The Markdown extensions pages are rendered with: MkDocs' built-in ones and those of
    the site's mkdocs.yml (previews that must read like the site use them too:
    cms/core/block_output.py through ``build_scripts.site_build.site_markdown_options``)."""
    from mkdocs.config.config_options import MarkdownExtensions
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.utils import yaml_load

    with open(site_dir / "mkdocs.yml", encoding="utf-8") as source:
        configured = yaml_load(source)["markdown_extensions"]
    option = MarkdownExtensions(builtins=MkDocsConfig.markdown_extensions.builtins)
    extensions = option.validate(configured)
    return extensions, option.configdata


def render(request: RenderRequest, settings: RenderSettings) -> None:
    """Run MkDocs for the engine's `request`; the new catalogue is in ``request.result``."""
    collector = _WarningCollector()
    mkdocs_logger = logging.getLogger("mkdocs")
    mkdocs_logger.addHandler(collector)
    dirty_notice = _DirtyBuildNotice()
    logging.getLogger("mkdocs.commands.build").addFilter(dirty_notice)
    try:
        config = load_config(
            config_file=str(settings.site_dir / "mkdocs.yml"),
            docs_dir=str(settings.docs_dir),
            site_dir=str(settings.out_dir),
            site_url=settings.site_url,
            site_name=settings.site_name,
            strict=settings.strict,
        )
        config.extra.update(settings.extra)
        _list_theme_files_once(config.theme, request.theme_signature)
        with render_request.handing(request):
            # dirty: MkDocs renders only the files whose is_modified() says so (on_files; a
            # split full build: _SplitFile).
            mkdocs_build(config, dirty=request.incremental or request.split_from_pages is not None)
    except Abort as exc:
        raise RenderFailed(str(exc) or type(exc).__name__, collector.messages) from exc
    except Exception as exc:
        raise RenderFailed(str(exc) or type(exc).__name__, collector.messages) from exc
    finally:
        mkdocs_logger.removeHandler(collector)
        logging.getLogger("mkdocs.commands.build").removeFilter(dirty_notice)


# The theme's static files by theme signature, directories and excluded templates: MkDocs
# walks and filters the theme's ~14,500 files (material's icons) on every build to find its
# ~55 (~0.06 s of each publish), and they change only with the theme signature.
_THEME_FILES: dict[tuple, list[str]] = {}


def _list_theme_files_once(theme, signature: str | None) -> None:
    if signature is None:  # a theme nobody signed may change under us: walk it every time
        return
    get_env = theme.get_env

    def get_env_listing_once() -> jinja2.Environment:
        env = get_env()
        list_templates = env.list_templates

        def listed_once(extensions=None, filter_func=None) -> list[str]:
            if extensions is not None or filter_func is None:  # not MkDocs' theme files
                return list_templates(extensions, filter_func)
            key = (signature, tuple(theme.dirs), tuple(sorted(theme.static_templates)))
            if key not in _THEME_FILES:
                _THEME_FILES[key] = list_templates(extensions, filter_func)
            return list(_THEME_FILES[key])

        env.list_templates = listed_once
        return env

    theme.get_env = get_env_listing_once


def warm_up(site_dir: Path, signature: str | None = None) -> None:
    """Pay now what a process's first render pays whatever the site's size: the configuration
    loaded (MkDocs' options, material, its plugins and their imports), the theme's static
    files listed (``_list_theme_files_once``, for the theme `signature`)."""
    with tempfile.TemporaryDirectory() as docs_dir:
        config = load_config(config_file=str(site_dir / "mkdocs.yml"), docs_dir=docs_dir)
        _exclude_generated_templates(config.theme)
        _list_theme_files_once(config.theme, signature)
        Files([]).add_files_from_theme(config.theme.get_env(), config)


class _WarningCollector(logging.Handler):
    """Keeps MkDocs' warnings so a failed strict build can say what went wrong."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class _DirtyBuildNotice(logging.Filter):
    """MkDocs warns that a dirty build gives inaccurate navigation. The engine decides per
    output what to render (and a strict build would abort on that warning), so drop it.
    MkDocs has no setting for this warning: matching its text is the only way."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "'dirty' build is being performed" not in record.getMessage()


class _ForwardToMkDocs(logging.Handler):
    """The engine's content warnings (``page_model.log``) go to MkDocs' log, where a strict
    build counts them and the collector above keeps them."""

    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger("mkdocs.plugins.content").handle(record)


def _forward_content_log() -> None:
    content_log = logging.getLogger(CONTENT_LOG)
    if not any(isinstance(h, _ForwardToMkDocs) for h in content_log.handlers):
        content_log.addHandler(_ForwardToMkDocs())
        content_log.propagate = False


_forward_content_log()


def _engine_errors(event: Callable[..., Any]) -> Callable[..., Any]:
    """A content problem the engine raises stops MkDocs like any plugin error."""

    def handler(*args: Any, **kwargs: Any) -> Any:
        try:
            return event(*args, **kwargs)
        except ContentError as exc:
            raise PluginError(str(exc)) from exc

    handler.__name__ = event.__name__
    handler.__doc__ = event.__doc__
    return handler


# --------------------------------------------------------------------------- events


def _progress(message: str) -> None:
    if _request is not None and _request.progress:
        print(message, file=sys.stderr, flush=True)


def _exclude_generated_templates(theme) -> None:
    # The sitemap is written by on_post_build from the whole catalogue: MkDocs' template only
    # sees the files of this run, which in an incremental build are the changed ones.
    theme.static_templates.discard("sitemap.xml")


@_engine_errors
def on_config(config):
    global _state, _request, _inputs, _parsed_last
    _parsed_last = None  # (a failed build's)
    # Outside the engine (mkdocs serve/build by hand): a full build of docs_dir.
    _request = render_request.current() or RenderRequest(content_dir=config.docs_dir, theme_signature=None)
    # A catalogue handed back by build_scripts describes the current release; otherwise
    # start empty (full build, or the first incremental build of this process).
    _state = _request.catalogue if _request.catalogue is not None else cat.Catalogue()
    _state.begin()
    config.extra["announcement"] = normalise_announcement(config.extra.get("announcement"))
    # material's header, drawer and <title> print the site name without escaping.
    config.site_name = escape(config.site_name)
    config.extra["build_year"] = dt.datetime.now(SHANGHAI).year
    _exclude_generated_templates(config.theme)
    _inputs = SiteInputs(
        org_name=config.extra.get("org_name"),
        icp_number=config.extra.get("icp_number"),
        announcement=config.extra["announcement"],
        build_year=config.extra["build_year"],
        site_url=config.site_url,
        site_name=config.site_name,
        theme_signature=_request.theme_signature,
    )
    return config


@_engine_errors
def on_files(files: Files, config) -> Files:
    state, request, inputs = _state, _request, _inputs
    assert request is not None and inputs is not None
    # Incremental builds run MkDocs on an empty docs_dir: the engine knows the catalogue of
    # content/ (kept from the last build, or read from the previous release's state) and
    # MkDocs gets only the files that must be rendered or copied. A full build lets MkDocs
    # scan.
    warm = state.ready
    previous = request.previous_outputs
    sparse = warm or previous is not None
    content_dir = request.content_dir
    excluded = config.exclude_docs.match_file
    state.signature = request.theme_signature

    if warm:
        pages, assets = cat.changed_sources(state, excluded, content_dir, request.changed_paths)
    elif sparse:
        pages, assets = cat.scan_content(excluded, content_dir)
    else:
        pages = {f.src_uri: f.abs_src_path for f in files.documentation_pages()}
        assets = {
            f.src_uri: f.abs_src_path
            for f in files
            if not f.is_documentation_page() and f.inclusion.is_included() and _inside(f.abs_src_path, config.docs_dir)
        }
    for src in [*pages, *assets]:
        if src == TAGS_DIR or src.startswith(TAGS_DIR + "/"):
            raise PluginError(f"{src}: 路径 /{TAGS_DIR}/ 保留给标签页，内容中不能使用")
        if dest_for(src) in (FEED, SITEMAP) or src.startswith(SITEMAP_DIR + "/"):
            raise PluginError(f"{src}: 路径 /{dest_for(src)} 保留给网站自动生成的文件，内容中不能使用")
    # --- site pages (build_scripts.site_pages): collected once per build, their paths reserved.
    state.site = site_pages.collect(os.path.dirname(os.path.abspath(config.config_file_path)))
    site_pages.check_clashes(state.site, list(pages) + list(assets))

    if warm:
        _progress(f"读取 {sum(1 for p in pages.values() if p)} 个有变化的页面 …")
        structural = cat.apply_sources(state, pages, assets)
        for src, path in pages.items():
            if path is not None and src in state.virtual:  # (a full build finds it in listings.put_page)
                raise PluginError(f"{src}: 与自动生成的列表页冲突，请修改该页面的网址")
        if "index.md" not in state.entries:
            raise PluginError("content/index.md（首页）缺失")
        if structural or cat.shared_digest(state, inputs) != state.shared:
            cat.derive_all(state, inputs)
        else:
            cat.apply_changes(state)
    else:
        if "index.md" not in pages:
            raise PluginError("content/index.md（首页）缺失")
        _progress(f"读取 {len(pages)} 个页面的 front matter …")
        full_pages = {src: path for src, path in pages.items() if path is not None}
        full_assets = {src: path for src, path in assets.items() if path is not None}
        cat.load_all(state, full_pages, full_assets, request.previous_sources or {})
        if previous:
            state.adopt_previous_outputs(previous)
        cat.derive_all(state, inputs)

    # A static nav of home + top-level sections; every other page is built but unlisted.
    config["nav"] = [{"首页": "index.md"}] + [{e.title: e.src_uri} for e in state.nav_sections]
    config["nav"] += site_pages.nav_items(state.site)  # 党员学习, 使用指南: after the CMS's sections
    output_plan.plan_outputs(state, inputs)
    for f in [f for f in files if not f.is_documentation_page() and f.dest_uri in state.generated]:
        # Material's sitemap.xml template (no longer rendered: on_config) would otherwise be
        # copied as a static file over ours.
        files.remove(f)
    if previous is None and not warm:
        # Theme files (material's and ours): keyed by the theme signature, so an incremental
        # build (same theme, else it would be a full one) shares them.
        theme_key = cat.theme_key(inputs)
        for f in files:
            if not f.is_documentation_page() and f.inclusion.is_included() and f.src_uri not in state.outputs:
                state.set_output(f.src_uri, theme_key, f.dest_uri)
    global _plan
    _plan = output_plan.finish(state)
    if sparse:
        _hand_to_mkdocs(files, config, state, content_dir, _plan.render)
    else:
        for src, content in sorted(state.virtual.items()):
            files.append(File.generated(config, src, content=content))
        for src in site_pages.sources(state.site):
            files.append(File(src, state.site.root, config.site_dir, config.use_directory_urls))
        for f in files.documentation_pages():
            if dest_for(f.src_uri) != f.dest_uri:  # the engine's rule must agree with MkDocs'
                raise PluginError(f"{f.src_uri}: 输出路径 {f.dest_uri} 与预期不符")
    _link_stored_media(files, media_store.MediaStore(request.media_store) if request.media_store else None)
    if request.split_from_pages is not None and not sparse:
        for f in files.documentation_pages():
            if type(f) is File:
                f.__class__ = _SplitFile  # (same layout: only is_modified differs)
    state.total_pages = len(state.changed)
    _progress(
        f"共 {len(state.entries) + len(state.virtual)} 个页面（含 {len(state.virtual)} 个生成的列表页），"
        f"本次渲染 {state.total_pages} 个"
    )
    return files


def _inside(path: str | None, directory: str) -> bool:
    return bool(path) and os.path.abspath(path).startswith(os.path.abspath(directory) + os.sep)


_ASSET_LINK = re.compile(r"/(assets/[^\s\"'()<>]+)")


class _LinkTarget(File):
    """A file an incremental build hands MkDocs only so that links to it resolve exactly as
    in a full build (navigation pages, linked assets, site pages); the previous release's
    copy is kept. MkDocs' dirty build asks each file whether to render or copy it."""

    def is_modified(self) -> bool:
        return False


class _StoredMedia(File):
    """A video, audio file or document whose content/ source is a pointer to the media store
    (build_scripts/media_store.py): the release gets the stored object, hard-linked."""

    pointer: media_store.Pointer
    store: media_store.MediaStore | None

    def copy_file(self, dirty: bool = False) -> None:
        if self.store is None:
            raise PluginError(f"{self.src_uri}: 内容中是媒体库引用，但构建没有指定媒体库（内容仓库的 git 目录）")
        try:
            linked = self.store.link_into(self.pointer, self.abs_dest_path)
        except media_store.MediaStoreError as error:
            raise PluginError(f"{self.src_uri}: {error}") from None
        if not linked:  # purged by an administrator: a rollback must not bring it back
            _left_out_as_purged(self.src_uri)


def _left_out_as_purged(src_uri: str) -> None:
    logging.getLogger(CONTENT_LOG).info(f"{src_uri}: 媒体文件已由管理员清除，未放入网站")


def _link_stored_media(files: Files, store: media_store.MediaStore | None) -> None:
    """Media files MkDocs would copy whose content/ source is a pointer become _StoredMedia;
    one committed whole (before the store) that holds a purged medium's bytes is left out."""
    purged = store.purged_by_size() if store is not None else {}
    for f in [f for f in files if type(f) is File and media_store.is_media_path(f.src_uri) and f.abs_src_path]:
        pointer = media_store.read_pointer(f.abs_src_path)
        if pointer is None:
            if purged and media_store.is_purged_whole_file(f.abs_src_path, purged):
                files.remove(f)
                _left_out_as_purged(f.src_uri)
            continue
        stored = _StoredMedia(
            f.src_uri, f.src_dir, f.dest_dir, f.use_directory_urls, dest_uri=f.dest_uri, inclusion=f.inclusion
        )
        stored.pointer, stored.store = pointer, store
        files.remove(f)
        files.append(stored)


def _hand_to_mkdocs(files: Files, config, state: cat.Catalogue, content_dir: str, render: frozenset[str]) -> None:
    """Give an incremental MkDocs run what it must render or copy, plus what those pages
    link to (navigation pages, assets) so links validate exactly as in a full build."""

    def make(src: str, root: str) -> File:
        kind = File if src in render else _LinkTarget
        return kind(src, root, config.site_dir, config.use_directory_urls)

    # MkDocs listed the theme's files (docs_dir is empty): they carry over from the previous
    # release (same theme signature, else this would be a full build).
    for f in [f for f in files if f.src_uri not in render and not f.generated_by]:
        files.remove(f)
        files.append(
            _LinkTarget(
                f.src_uri, f.src_dir, f.dest_dir, f.use_directory_urls, dest_uri=f.dest_uri, inclusion=f.inclusion
            )
        )

    wanted = set(render) | {"index.md"} | {e.src_uri for e in state.nav_sections}
    for src in sorted(wanted):
        if src in state.pages:
            files.append(make(src, content_dir))
            with open(state.pages[src], encoding="utf-8-sig") as fh:
                wanted.update(m for m in _ASSET_LINK.findall(fh.read()) if m in state.assets)
        elif src in state.virtual:
            kind = File if src in render else _LinkTarget
            files.append(kind.generated(config, src, content=state.virtual[src]))
    for src in sorted(wanted):
        if src in state.assets and files.get_file_from_path(src) is None:
            files.append(make(src, content_dir))
    for src in site_pages.sources(state.site):  # few; in the nav, so always present
        files.append(make(src, state.site.root))


def _own_templates(config) -> frozenset[str]:
    overrides = os.path.join(os.path.dirname(os.path.abspath(config.config_file_path)), "overrides")
    names = set()
    for directory, _subdirs, filenames in os.walk(overrides):
        for name in filenames:
            if name.endswith(".html"):
                names.add(os.path.relpath(os.path.join(directory, name), overrides).replace(os.sep, "/"))
    # material's 404.html only extends our main.html; the blocks it renders are ours.
    return frozenset(names | {"404.html"})


def on_env(env, config, files):
    _park_parsed()  # the last page parsed
    _take_markdown_share(config, files)
    _progress("Markdown 解析完成，开始渲染页面 …")
    # Our templates (site/overrides) escape every value they print unless it is marked safe;
    # material's templates keep MkDocs' default (no autoescape) and only ever get values
    # this hook escaped (page and nav titles, site name, toc, meta).
    own = _own_templates(config)
    env.autoescape = lambda name: name in own
    # Every printed string loses control characters first (html_safety.plain); values
    # already marked safe are left as they are.
    env.finalize = _printable
    # Compiling material's templates costs ~0.5 s a build; keep the bytecode between
    # builds (and worker restarts). Jinja checks each template's source before using it,
    # but not the autoescape and finalize policy above, which the bytecode depends on too:
    # the directory is per theme signature (site/, its hooks, html_safety), so a change
    # there compiles afresh.
    signature = str((_request.theme_signature if _request else None) or "unsigned")[:12]
    cache_dir = os.path.join(tempfile.gettempdir(), f"site-jinja-{os.getuid()}-{signature}")
    os.makedirs(cache_dir, exist_ok=True)
    env.bytecode_cache = jinja2.FileSystemBytecodeCache(cache_dir)
    # material's own templates under a prefix, for overrides that wrap rather than replace
    # them (overrides/partials/nav.html, tabs.html: see _navigation_fragment).
    material = os.path.join(os.path.dirname(os.path.abspath(material_theme.__file__)), "templates")
    env.loader = jinja2.ChoiceLoader([env.loader, jinja2.PrefixLoader({"material": jinja2.FileSystemLoader(material)})])
    env.globals["dj_navigation_fragment"] = _navigation_fragment
    env.globals["dj_config_script"] = _config_script
    _CONFIG_SCRIPTS.clear()
    global _page_navigation
    _NAV_FRAGMENTS.clear()
    _page_navigation = None
    return env


# material's __config script (its translations, the search worker's address) depends on
# nothing of the page but its base_url: ~5 % of rendering a page, made once per depth.
_CONFIG_SCRIPTS: dict[Any, Markup] = {}


@jinja2.pass_context
def _config_script(context, material_block) -> Markup:
    """``{{ dj_config_script(super) }}`` in the config block: material's block as it renders
    for this page."""
    base_url = context.get("base_url")
    script = _CONFIG_SCRIPTS.get(base_url)
    if script is None:
        script = _CONFIG_SCRIPTS[base_url] = Markup(material_block())
    return script


# Rendered navigation (the drawer and the tabs) by what it depends on; one build's.
_NAV_FRAGMENTS: dict[tuple, Markup] = {}
# (page, its navigation state): worked out once for the page's tabs and drawer.
_page_navigation: tuple[Any, tuple | None] | None = None


@jinja2.pass_context
def _navigation_fragment(context, name: str) -> Markup:
    """material's template `name` ("material/partials/nav.html" or tabs.html) as it renders
    for this page. With the navigation of sections only, that HTML is the same for every
    article of a section (the nav items, which are active, and the links to them relative
    to the page), yet it was most of an article's render time: it is rendered once per
    distinct (active items, relative links) and reused. A page that is itself in the
    navigation (its entry shows its table of contents) is always rendered."""
    state = _navigation_state(context.get("page"), context.get("nav"), context.get("config"))
    key = (name, state) if state is not None else None
    fragment = _NAV_FRAGMENTS.get(key) if key is not None else None
    if fragment is None:
        template = context.environment.get_template(name)
        fragment = Markup(template.render(context.get_all()))
        if key is not None:
            _NAV_FRAGMENTS[key] = fragment
    return fragment


def _navigation_state(page, nav, config) -> tuple | None:
    """What material's navigation templates print for `page` depends on: which items are
    active and the links as they are relative to the page (None: a page of the navigation
    itself, or no page)."""
    global _page_navigation
    if _page_navigation is not None and _page_navigation[0] is page:
        return _page_navigation[1]
    state = None
    if page is not None and nav is not None and page.url is not None:
        items: list = []
        stack = list(reversed(nav.items))
        while stack:
            item = stack.pop()
            if item is page:  # (MkDocs' navigation holds the very Page objects it renders)
                break
            items.append(item)
            stack.extend(reversed(getattr(item, "children", None) or ()))
        else:
            homepage = nav.homepage.url if nav.homepage is not None else ""
            logo = config.theme.get("logo") if config is not None else None
            leaves = [item.url or "" for item in items if not getattr(item, "children", None)]
            state = (
                tuple(bool(getattr(item, "active", False)) for item in items),
                tuple(normalize_url(url, page=page) for url in [".", homepage, logo or "", *leaves]),
            )
    _page_navigation = (page, state)
    return state


def _printable(value):
    if isinstance(value, str) and not isinstance(value, Markup):
        return plain(value)
    return value


def on_nav(nav, config, files):
    # Tabs, the drawer and nav pages' own titles come from here; material prints them raw.
    def walk(items):
        for item in items:
            if item.title is not None:
                item.title = escape(item.title)
            if getattr(item, "children", None):
                walk(item.children)

    walk(nav.items)
    _start_markdown_helper(config, files)
    return nav


# ------------------------------------------------------------------ a full build on two cores

# MkDocs converts every page's Markdown (on_pre_page … on_page_content) before it renders the
# first. A full build of enough pages (RenderRequest.split_from_pages) hands the second share
# of them to a forked helper (build_scripts/forked_helper.py) when the navigation is ready,
# and runs MkDocs "dirty", so that MkDocs skips those pages here (_SplitFile.is_modified);
# on_env takes what the helper made, and converts here whatever it did not get. Rendering is
# the same as without a helper: every page has the fields MkDocs' own conversion set.
#
# Rendering stays in this process: the other core analyses the pages for the search index
# meanwhile (search_index.Analyser), and a forked renderer, tried, saved ~5 % of a
# 10,000-page build for ~1 GB more memory at 100,000 pages (both processes write to the
# memory they share: bench/README.md, full_build).
#
# The parent also takes in the helper's pages: it keeps a little less than half (the
# shares end together at 10,000 pages).
PARENT_SHARE = 0.45
# What converting a page sets on it (MkDocs 1.6's Page: read_source, render), plus the
# parked HTML (_park_parsed).
_POPULATED = (
    "markdown",
    "meta",
    "content",
    "toc",
    "_title_from_render",
    "present_anchor_ids",
    "links_to_anchors",
    "dj_parked_html",
)

_elsewhere: frozenset[str] = frozenset()  # the pages a helper does in the current phase
_markdown_helper: tuple[ForkedHelper, list[File]] | None = None


class _SplitFile(File):
    """A documentation page of a split full build: done here unless a helper does it."""

    def is_modified(self) -> bool:
        return self.src_uri not in _elsewhere


def _start_markdown_helper(config, files: Files) -> None:
    global _markdown_helper, _elsewhere
    split_from = _request.split_from_pages if _request is not None else None
    # In MkDocs' order: the pages of a split full build (on_files); none in other builds.
    pages = [f for f in files.documentation_pages(inclusion=InclusionLevel.is_included) if type(f) is _SplitFile]
    if split_from is None or len(pages) < max(split_from, 2):
        return
    share = pages[int(len(pages) * PARENT_SHARE) :]
    try:
        helper = ForkedHelper(lambda send: _convert_share(share, config, files, send))
    except OSError:  # no process to spare (a limit, memory): this one converts every page
        return
    _elsewhere = frozenset(f.src_uri for f in share)
    _markdown_helper = (helper, share)


def _convert_share(share: list[File], config, files: Files, send: Callable[[Any], None]) -> None:
    """In the helper: MkDocs' own conversion of each page of the share, sent with its log."""
    logs = LogCapture()
    for f in share:
        if f.page is None:  # (as MkDocs' loop does for pages outside the navigation)
            mkdocs_pages.Page(None, f, config)
        try:
            _populate_page(f.page, config, files)
        except Exception:
            return  # the parent converts this page again and meets the same problem itself
        _park_parsed()
        send((f.src_uri, _populated_fields(f.page), logs.take()))
        f.page.__dict__.pop("dj_parked_html", None)  # sent: the helper need not hold it too
        if f is share[0]:
            pause_point("build.helper_converted_one")


def _populated_fields(page) -> dict[str, Any]:
    fields = {name: page.__dict__[name] for name in _POPULATED if name in page.__dict__}
    if fields.get("links_to_anchors"):  # keyed by File: by path across processes
        fields["links_to_anchors"] = {f.src_uri: links for f, links in fields["links_to_anchors"].items()}
    return fields


def _take_markdown_share(config, files: Files) -> None:
    global _markdown_helper, _elsewhere
    if _markdown_helper is None:
        return
    (helper, share), _markdown_helper = _markdown_helper, None
    done = 0
    for src, fields, records in helper.records():
        if done == len(share) or share[done].src_uri != src:
            break
        replay(records)
        if "links_to_anchors" in fields:
            fields["links_to_anchors"] = {
                files.get_file_from_path(target): links for target, links in fields["links_to_anchors"].items()
            }
        share[done].page.__dict__.update(fields)
        done += 1
    _elsewhere = frozenset()
    for f in share[done:]:  # not converted by the helper (it failed, or was stopped)
        _populate_page(f.page, config, files)
        _park_parsed()


def _stop_helper() -> None:
    global _markdown_helper, _elsewhere
    if _markdown_helper is not None:
        _markdown_helper[0].stop()
        _markdown_helper = None
    _elsewhere = frozenset()


def on_build_error(error):
    _stop_helper()


# Front matter keys of site/pages that material or our templates read; content pages keep
# only their title (everything else they show comes from the catalogue, through ``dj``).
_SITE_PAGE_META = {
    "title",
    "template",
    "dj_page",
    "dj_view",
    "dj_nav_parents",
    "dj_scripts",
    "nav_order",
    "nav_title",
    "sitemap",
}


# MkDocs parses every page before it writes the first, holding each page's Markdown and
# HTML until the end of the build: at 100,000 pages that was more memory than everything
# else of the build. Once parsed, a page's Markdown is not read again and its HTML waits,
# compressed, for its own render; once the page is written nothing keeps it.
_parsed_last = None  # the page whose HTML MkDocs assigns after on_page_content returns


def on_pre_page(page, config, files):
    _park_parsed()
    page.render = _render_markdown.__get__(page)  # (for this page only: MkDocs' class is untouched)
    return page


# MkDocs (1.6) makes a new Markdown instance with every extension for each page it renders:
# ~10 % of a full build's Markdown time. One per build, reset before each page, converts the
# same bytes (bench/compare_builds.py on the demo site and generated pages).
_markdown: tuple[Any, markdown.Markdown] | None = None


def _render_markdown(page, config, files) -> None:
    """``mkdocs.structure.pages.Page.render`` (1.6.1), with the build's one Markdown instance."""
    global _markdown
    if page.markdown is None:
        raise RuntimeError("`markdown` field hasn't been set (via `read_source`)")
    if _markdown is None or _markdown[0] is not config:
        _markdown = (
            config,
            markdown.Markdown(extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"] or {}),
        )
    md = _markdown[1]
    md.reset()
    raw_html_ext = mkdocs_pages._RawHTMLPreprocessor()
    raw_html_ext._register(md)
    extract_anchors_ext = mkdocs_pages._ExtractAnchorsTreeprocessor(page.file, files, config)
    extract_anchors_ext._register(md)
    relative_path_ext = mkdocs_pages._RelativePathTreeprocessor(page.file, files, config)
    relative_path_ext._register(md)
    extract_title_ext = mkdocs_pages._ExtractTitleTreeprocessor()
    extract_title_ext._register(md)
    page.content = md.convert(page.markdown)
    page.toc = mkdocs_pages.get_toc(getattr(md, "toc_tokens", []))
    page._title_from_render = extract_title_ext.title
    page.present_anchor_ids = extract_anchors_ext.present_anchor_ids | raw_html_ext.present_anchor_ids
    if mkdocs_pages.log.getEffectiveLevel() > logging.DEBUG:
        page.links_to_anchors = relative_path_ext.links_to_anchors


def _park_parsed() -> None:
    global _parsed_last
    page, _parsed_last = _parsed_last, None
    if page is not None and page.content:
        page.dj_parked_html = zlib.compress(page.content.encode("utf-8"), 1)
        page.content = ""
        page.markdown = ""  # not None: MkDocs reads None as "not parsed" (no title then)


def _unpark(page) -> None:
    parked = getattr(page, "dj_parked_html", None)
    if parked is not None:
        page.content = zlib.decompress(parked).decode("utf-8")
        del page.dj_parked_html


def on_page_markdown(markdown, page, config, files):
    # (content/ cannot use the site pages' paths: site_pages.check_clashes)
    allowed = _SITE_PAGE_META if _state.site.kind(page.file.src_uri) is not None else {"title"}
    meta = {key: value for key, value in (page.meta or {}).items() if key in allowed}
    if "title" in meta:
        meta["title"] = escape(meta["title"])
    page.meta = meta
    return markdown


def on_page_content(html, page, config, files):
    # Rendered Markdown of content/ (and of site/pages) through the one allow-list: a
    # hand-edited or old content/ file cannot inject markup either.
    global _parsed_last
    for item in _walk_toc(page.toc):
        item.title = escape(html_to_text(item.title))
    _parsed_last = page
    return sanitize_html(html)


def _walk_toc(items):
    for item in items:
        yield item
        yield from _walk_toc(item.children)


def on_page_context(context, page, config, nav):
    _unpark(page)
    state = _state
    src = page.file.src_uri
    entry = state.entries.get(src)
    listing = state.listings.get(src)
    dj: dict = {"kind": None}

    # material prints page.title unescaped (header, <title>); ours escape anything else.
    title = page.title
    page.title = escape(page.title) if page.title is not None else None
    # MkDocs' own address of the page (site_url + url), where it is shared from.
    address = page.canonical_url
    if entry is not None:
        canonical = safe_url(entry.meta.get("canonical_url"), allow_relative=False)
        if canonical and canonical.lower().startswith(("http://", "https://")):
            address = canonical
            page.canonical_url = escape(canonical)
        dj["breadcrumbs"] = state.breadcrumbs(entry)
        if entry.kind == "article" and entry.meta.get("type") == FORM_TYPE:
            dj["kind"] = "form"
            dj["article"] = article_view(entry)
            try:
                dj["form"] = public_forms.form_view(entry.meta)
            except public_forms.FormProblem:
                dj["form"] = None  # logged when the page was read; the page says it is unavailable
        elif entry.kind == "article":
            dj["kind"] = "article"
            dj["article"] = article_view(entry)
        else:
            dj["kind"] = entry.kind
    elif state.site.kind(src) is not None:
        dj.update(site_pages.page_context(state.site, src) or {})
    elif listing is not None:
        dj["kind"] = listing.kind
        if listing.kind == "section":  # an archive page of a section
            base = state.entries[listing.base_url + "index.md"]
            dj["breadcrumbs"] = state.breadcrumbs(base) + [{"title": base.title, "url": base.url}]
        else:
            dj["breadcrumbs"] = [{"title": "首页", "url": ""}]
            if listing.kind == "tag":
                dj["breadcrumbs"].append({"title": "标签", "url": f"{TAGS_DIR}/"})

    if listing is not None:
        dj["listing"] = listing_view(listing)
    if dj["kind"] in SHARED_KINDS and address:
        _add_share(dj, page, entry, title, address, config)
    context["dj"] = dj
    return context


# Pages with a share block and Open Graph tags: everything built from content/ and the
# listings; not the member area, the 使用指南 or the search page (site/pages).
SHARED_KINDS = frozenset({"article", "form", "home", "section", "tag", "tags"})


def _add_share(dj: dict, page, entry, title, address: str, config) -> None:
    meta = entry.meta if entry is not None else {}
    description = meta.get("summary") or meta.get("intro") or ""
    if entry is not None and entry.kind != "article" and not description:
        description = config.extra.get("org_name") or ""
    dj["share"] = share_view(
        address,
        entry.title if entry is not None else html_to_text(title or ""),
        description,
        absolute_image(meta.get("image"), config.site_url),
    )
    if dj["share"]["description"]:
        # material prints page.meta.description raw as <meta name="description">.
        page.meta = {**(page.meta or {}), "description": escape(dj["share"]["description"])}


def on_post_page(output, page, config):
    state = _state
    state.rendered += 1
    if _request is not None and _request.on_rendered is not None:
        _request.on_rendered(page.file.dest_uri, output)
    page.content = ""  # written: see _park_parsed
    if _request is not None and _request.progress:
        width = len(str(state.total_pages))
        print(f"[{state.rendered:>{width}}/{state.total_pages}] 渲染 {page.file.src_uri}", file=sys.stderr, flush=True)
    return output


def on_post_build(config):
    state = _state
    _progress("写出 RSS 订阅 feed.xml 与网站地图 …")
    for dest, data in (_plan.generated if _plan is not None else {}).items():
        path = os.path.join(config.site_dir, dest)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
    state.generated = {}
    state.ready = state.reusable = True
    if _request is not None:
        _request.result = state
