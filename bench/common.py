"""Shared set-up for the benchmarks: an isolated runtime tree per site size, Django set up
against it, and a realistic site generator writing straight into the CMS database."""

from __future__ import annotations

import bisect
import os
import platform
import random
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARAGRAPH_POOL = [
    "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的二十大精神，深刻领悟“两个确立”的决定性意义，增强“四个意识”、坚定“四个自信”、做到“两个维护”。",
    "支部严格落实“三会一课”制度，按时召开支部党员大会、支部委员会和党小组会，认真上好党课，不断提高组织生活质量。",
    "本次主题党日活动围绕“我为群众办实事”开展，党员志愿者深入社区，为居民提供政策宣讲、义务维修和健康咨询等服务。",
    "按照党费收缴、使用和管理的有关规定，支部按月足额收缴党费，并在党员大会上公开党费收缴情况，接受党员监督。",
    "民主评议党员工作分为学习教育、自我评价、民主测评、组织评定四个环节，评议结果作为党员评先评优的重要依据。",
    "发展党员工作坚持标准、严格程序，经过入党申请人、入党积极分子、发展对象、预备党员等阶段，做到成熟一个发展一个。",
    "党委理论学习中心组围绕推动企业高质量发展开展专题研讨，与会同志结合分管工作交流学习体会，提出了具体措施。",
    "组织生活会上，支部书记代表支委会作检视剖析，党员逐一发言，认真开展批评和自我批评，明确了整改方向。",
    "要把党建工作同生产经营深度融合，发挥基层党组织战斗堡垒作用和党员先锋模范作用，以高质量党建引领高质量发展。",
    "各党支部要建立健全学习制度，利用网络党建平台开展线上学习，确保学习全覆盖、无死角，学习记录及时归档。",
    "全面从严治党永远在路上，要持之以恒落实中央八项规定精神，驰而不息纠治“四风”，营造风清气正的政治生态。",
    "党风廉政建设责任制要层层压实，落实“一岗双责”，开展廉洁从业警示教育，筑牢拒腐防变思想防线。",
]
#: What the pages are about: one per article (in turn), so every topic has its share.
TOPICS = [
    "三会一课",
    "主题党日",
    "党费收缴",
    "民主评议",
    "发展对象",
    "组织生活会",
    "党课",
    "理论学习",
    "志愿服务",
    "党务公开",
    "不忘初心",
    "预备党员",
    "入党积极分子",
    "中心组学习",
    "党风廉政建设",
    "安全生产",
    "技术创新",
    "质量提升",
    "节能降耗",
    "客户服务",
    "人才培养",
    "数字化转型",
    "合规管理",
]
UNITS = ["第一党支部", "第二党支部", "第三党支部", "机关党总支", "公司党委", "党委宣传部", "党委组织部", "纪委办公室"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰海峰林波辉鹏飞斌宇浩凯健俊帆帅旭宁"
_TAG_KINDS = ["学习", "活动", "检查", "公示", "通报", "总结", "部署", "调研", "培训", "考核", "交流", "推进会", "专题"]
#: A few hundred tags (topics, and a topic with the kind of work: 安全生产检查, 党费公示 …).
TAG_POOL = TOPICS + [f"{topic}{kind}" for topic in TOPICS for kind in _TAG_KINDS]
#: Characters of running text per generated article (the site's real articles: ~1,000–2,500).
ARTICLE_CHARACTERS = 1500


class Vocabulary:
    """Ordinary Chinese words sampled by frequency from jieba's own dictionary (Zipf-like)."""

    def __init__(self, limit: int = 60000) -> None:
        import jieba

        words = []
        with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as fh:
            for line in fh:
                word, freq, *_ = line.split()
                if len(word) >= 2 and all("\u4e00" <= ch <= "\u9fff" for ch in word):
                    words.append((int(freq), word))
        words.sort(reverse=True)
        words = words[:limit]
        self.words = [w for _, w in words]
        self.cumulative = []
        total = 0
        for freq, _ in words:
            total += freq**0.8
            self.cumulative.append(total)
        self.total = total

    def sentence(self, rng: random.Random, n: int) -> str:
        picked = [self.words[bisect.bisect(self.cumulative, rng.random() * self.total)] for _ in range(n)]
        return "".join(picked) + "。"


@dataclass
class ArticleText:
    title: str
    unit: str
    day: str  # ISO date
    paragraphs: list[str]
    tags: list[str]


def article_text(index: int, rng: random.Random, vocab: Vocabulary, *, characters: int = ARTICLE_CHARACTERS):
    """One article as editors write them: a title naming a unit and a topic, ~1,500 characters
    of paragraphs (the site's phrases among ordinary words from a large vocabulary, people,
    figures and numbers), 1–3 tags of a few hundred. The one text generator of every benchmark."""
    topic = TOPICS[index % len(TOPICS)]
    unit = UNITS[rng.randrange(len(UNITS))]
    day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    person = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    verb = rng.choice(["召开", "开展", "组织", "推进", "部署"])
    kind = rng.choice(["工作会议", "专题活动", "学习交流", "情况通报", "推进会"])
    title = f"{unit}{verb}{topic}{kind}（第{index}期）"
    paragraphs, length = [], 0
    while length < characters:
        if rng.random() < 0.4:
            text = rng.choice(PARAGRAPH_POOL)
        else:
            text = vocab.sentence(rng, rng.randint(6, 14)) + vocab.sentence(rng, rng.randint(6, 14))
        if rng.random() < 0.15:
            text = f"{person}同志指出，{topic}工作要{text}"
        if rng.random() < 0.1:
            text += (
                f"截至{rng.randint(1, 12)}月底，共完成{rng.randint(2, 980)}项任务，编号{index}-{rng.randint(1, 99)}。"
            )
        paragraphs.append(text)
        length += len(text)
    related = [tag for tag in TAG_POOL if tag.startswith(topic)]
    tags = rng.sample(related, rng.randint(1, 2)) + rng.sample(TAG_POOL, rng.randint(0, 1))
    return ArticleText(title, unit, day, paragraphs, list(dict.fromkeys(tags)))


def machine_info() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()[1].split()[1]
    return f"{os.cpu_count()} cores, {cpu}, {mem} RAM, Python {platform.python_version()}"


def setup_django(var_dir: Path) -> None:
    """Point the project at an isolated runtime tree (database, content, releases)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["VAR_DIR"] = str(var_dir)
    os.environ["CONTENT_DIR"] = str(var_dir / "content")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")
    os.environ["CMS_LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


def article_body(text: ArticleText, *, image=None, document=None) -> list:
    """The StreamField body of an article: its paragraphs with a heading a third of the way
    in, and an image and an attachment where given."""
    from django.utils.html import escape
    from wagtail.rich_text import RichText

    split = max(1, len(text.paragraphs) // 3)

    def paragraphs(part):
        return ("paragraph", RichText("".join(f"<p>{escape(p)}</p>" for p in part)))

    body = [paragraphs(text.paragraphs[:split])]
    if image is not None:
        body.append(("image", {"image": image, "caption": f"{text.unit}活动现场"}))
    body.append(("heading", "下一步工作"))
    body.append(paragraphs(text.paragraphs[split:]))
    if document is not None:
        body.append(("attachment", {"document": document, "title": f"{text.title}（附件）"}))
    return body


#: Of the generated articles: one in IMAGE_EVERY carries an image (one in two of those as
#: cover), one in DOCUMENT_EVERY an attachment; one in OPENNESS_EVERY is a 党务公开 notice
#: and one in THEORY_EVERY a 理论学习 article, the rest news.
IMAGE_EVERY, DOCUMENT_EVERY, OPENNESS_EVERY, THEORY_EVERY = 4, 25, 10, 7
#: Top sections (section-0 … section-5) and branch sections below the last one, each owned by
#: a branch (its editors' own area), which get every BRANCH_SHARE-th article between them.
SECTIONS, BRANCHES, BRANCH_SHARE = 6, 12, 3


@contextmanager
def indexes_deferred():
    """Without Wagtail's per-save search index and reference index tasks (a queued task each
    per page save: 10,000 generated pages left ~20,000 search tasks that kept the worker busy
    for minutes under the measurements; 100,000 left ~100,000 reference index tasks, ~17
    minutes of the worker). The caller indexes everything at once afterwards
    (``update_index``, ``rebuild_references_index``)."""
    from django.db.models.signals import post_save
    from modelsearch import index
    from modelsearch.signal_handlers import post_save_signal_handler
    from wagtail.signal_handlers import disable_reference_index_auto_update

    models = [m for m in index.get_indexed_models() if getattr(m, "search_auto_update", True)]
    for model in models:
        post_save.disconnect(post_save_signal_handler, sender=model)
    try:
        with disable_reference_index_auto_update():
            yield
    finally:
        for model in models:
            post_save.connect(post_save_signal_handler, sender=model)


def _media_pools(images: int, documents: int) -> tuple[list, list]:
    import io

    from django.core.files.base import ContentFile
    from django.core.files.images import ImageFile
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model
    from wagtail.models import Collection

    from cms.bootstrap.demo.media import draw_demo_image

    Image, Document = get_image_model(), get_document_model()
    root = Collection.get_first_root_node()
    image_pool = list(Image.objects.filter(title__startswith="基准图片").order_by("pk")[:images])
    while len(image_pool) < images:
        number = len(image_pool)
        image = Image(
            title=f"基准图片{number}",
            collection=root,
            file=ImageFile(io.BytesIO(draw_demo_image(number, 640, 360)), name=f"bench-{number}.jpg"),
        )
        image._set_file_hash()
        image.save()
        image_pool.append(image)
    document_pool = list(Document.objects.filter(title__startswith="基准附件").order_by("pk")[:documents])
    while len(document_pool) < documents:
        number = len(document_pool)
        document = Document(title=f"基准附件{number}", collection=root)
        # A small real PDF-like file: the site links and sizes it; its bytes do not matter.
        data = b"%PDF-1.4\n" + (f"基准附件{number}\n" * 2000).encode()
        document.file.save(f"bench-{number}.pdf", ContentFile(data), save=False)
        document._set_file_hash()
        document.save()
        document_pool.append(document)
    return image_pool, document_pool


def _issuing_units() -> dict:
    """The units articles name as issuer (``UNITS``), under the benchmark's 党委."""
    from cms.accounts.models import OrganisationUnit

    committee, _ = OrganisationUnit.objects.get_or_create(name="基准党委", defaults={"kind": "committee"})
    units = {}
    for name in UNITS:
        kind = "general_branch" if name.endswith("党总支") else "branch"
        units[name] = (
            committee
            if name == "公司党委"
            else OrganisationUnit.objects.get_or_create(name=name, defaults={"kind": kind, "parent": committee})[0]
        )
    return units


def _sections(home) -> list:
    """The top sections and, below the last, the branches' own sections (owned by a unit)."""
    from cms.accounts.models import OrganisationUnit
    from cms.openness.models import SectionPage

    def section(parent, slug, title, **fields):
        found = SectionPage.objects.child_of(parent).filter(slug=slug).first()
        if found is None:
            found = parent.add_child(instance=SectionPage(title=title, slug=slug, intro="基准测试栏目", **fields))
        return found

    tops = [section(home, f"section-{number}", f"栏目{number}") for number in range(SECTIONS)]
    committee, _ = OrganisationUnit.objects.get_or_create(name="基准党委", defaults={"kind": "committee"})
    branches = []
    for number in range(BRANCHES):
        unit, _ = OrganisationUnit.objects.get_or_create(
            name=f"基准第{number + 1}党支部", defaults={"kind": "branch", "parent": committee}
        )
        branches.append(section(tops[-1], f"branch-{number}", unit.name, organisation=unit))
    return tops + branches


def new_article(index: int, text: ArticleText, *, issuer=None, image=None, document=None, category=None):
    """An unsaved live article of the type its index gives, with the generated text."""
    import datetime

    from cms.openness.models import NewsPage, OpennessPage, TheoryPage

    fields = {
        "title": text.title,
        "slug": f"article-{index}",
        "date": datetime.date(2026, 11, 26) - datetime.timedelta(days=index // 5),
        "issuing_unit": issuer,
        "summary": text.paragraphs[0][:80],
        "body": article_body(text, image=image, document=document),
        "cover_image": image if image is not None and index % (2 * IMAGE_EVERY) == 0 else None,
        "live": True,
        "has_unpublished_changes": False,
    }
    if index % OPENNESS_EVERY == 0 and category is not None:
        return OpennessPage(category=category, **fields)
    if index % THEORY_EVERY == 0:
        return TheoryPage(source=f"《党建研究》2026年第{index % 24 + 1}期", **fields)
    return NewsPage(**fields)


def generate_site(n_pages: int, *, seed: int = 7, images: int = 20, documents: int = 5) -> dict:
    """Create a home page, sections (6 top ones and 12 branch sections below the last) and
    ``n_pages`` live articles in the database: news, 党务公开 and 理论学习 articles of ~1,500
    characters each (``article_text``), 1–3 tags of a few hundred, an image in one in four, an
    attachment in one in 25. Then the CMS search index and Wagtail's reference index of
    everything at once, unless nothing was added since they were last made (at 100,000 pages
    they take ~8 minutes).

    Articles are created as live rows directly (no revision history), which is what years of
    publishing leave behind and keeps generation fast. Idempotent: only missing articles are
    added (the same ones a fresh run adds: every article's text depends on its index alone).
    """
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction
    from taggit.models import Tag
    from wagtail.models import Page

    from cms.bootstrap.roles import setup_roles
    from cms.openness.models import OpennessCategory
    from cms.openness.services import ensure_home_page
    from cms.publishing.models import ContentChange

    started = time.monotonic()
    vocab = Vocabulary()
    # Written once both indexes cover every generated article; gone as soon as one is added.
    indexed = Path(settings.VAR_DIR) / ".bench-indexes-complete"
    added = 0
    with indexes_deferred():
        home = ensure_home_page(intro="基准测试站点")
        setup_roles()
        image_pool, document_pool = _media_pools(images, documents)
        sections = _sections(home)
        issuers = _issuing_units()
        category = OpennessCategory.objects.order_by("sort_order", "pk").first()
        if category is None:
            category = OpennessCategory.objects.create(name="党务工作")
        tags = {name: Tag.objects.get_or_create(name=name)[0] for name in TAG_POOL}
        existing = set(Page.objects.filter(slug__startswith="article-").values_list("slug", flat=True).iterator())
        links: dict[type, list] = {}  # the pages' tag links, written in batches
        for index in range(n_pages):
            if f"article-{index}" in existing:
                continue
            indexed.unlink(missing_ok=True)
            added += 1
            rng = random.Random(seed * 1_000_003 + index)  # each article's text from its index alone
            text = article_text(index, rng, vocab)
            page = new_article(
                index,
                text,
                issuer=issuers[text.unit],
                image=image_pool[index % len(image_pool)] if index % IMAGE_EVERY == 1 else None,
                document=document_pool[index % len(document_pool)] if index % DOCUMENT_EVERY == 3 else None,
                category=category,
            )
            section = sections[index % len(sections)] if index % BRANCH_SHARE else sections[SECTIONS + index % BRANCHES]
            with transaction.atomic():
                section.add_child(instance=page)
            through = type(page).tags.through
            links.setdefault(through, []).extend(through(content_object_id=page.pk, tag=tags[n]) for n in text.tags)
            if index % 1000 == 999:
                for model, rows in links.items():
                    model.objects.bulk_create(rows)
                links = {}
                print(f"  生成 {index + 1}/{n_pages} 页", file=sys.stderr, flush=True)
        for model, rows in links.items():
            model.objects.bulk_create(rows)
    ContentChange.objects.all().delete()  # generation is not an editorial change
    generated = time.monotonic() - started
    if added or not indexed.exists():
        call_command("update_index", verbosity=0)
        call_command("rebuild_references_index", verbosity=0)
        indexed.write_text("update_index and rebuild_references_index ran after the last article was added\n")
    return {
        "pages": n_pages,
        "added": added,
        "seconds": round(generated, 1),
        "search_index_seconds": round(time.monotonic() - started - generated, 1),
    }


def cpu_seconds_by_program() -> dict[str, float]:
    """CPU time (user + system) used so far by every live process of this machine and by the
    children each has reaped, summed by program: "gunicorn", "worker" (manage.py worker),
    "postgres", "load generator" (this process) and "other". Two readings around a phase say
    where its CPU went, including processes that ended in between (a recycled gunicorn
    worker, a closed PostgreSQL connection): their time moves to the parent that reaped them."""
    ticks = os.sysconf("SC_CLK_TCK")
    me = os.getpid()
    totals: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()
        seconds = sum(int(value) for value in fields[11:15]) / ticks  # utime, stime, cutime, cstime
        if int(entry.name) == me:
            program = "load generator"
        elif "gunicorn" in command:
            program = "gunicorn"
        elif "manage.py worker" in command:
            program = "worker"
        elif command.startswith("postgres") or Path(command.split(" ", 1)[0]).name == "postgres":
            program = "postgres"
        else:
            program = "other"
        totals[program] = totals.get(program, 0.0) + seconds
    return totals


def tree_pss_mb(pid: int) -> float:
    """Memory of a process and all its descendants together, in MB: the sum of their
    proportional set sizes (pages shared between them, as a forked pool shares its parent's,
    counted once). The figure "all processes together" of a build that forks workers."""

    def tree(root: int) -> list[int]:
        try:
            children = Path(f"/proc/{root}/task/{root}/children").read_text().split()
        except OSError:  # ended meanwhile
            return []
        return [root, *(p for child in children for p in tree(int(child)))]

    total_kb = 0
    for member in tree(pid):
        try:
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
                    break
        except OSError:
            continue
    return total_kb / 1024


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tree_size_mb(path: Path) -> float:
    """Disk used by a tree, counting every inode once (hard links, and the directories
    releases share through symlinks, are followed and paid for once)."""
    from build_scripts.release_tree import disk_usage

    return disk_usage([path]) / 1024 / 1024
