"""Shared set-up for the benchmarks: an isolated runtime tree per site size, Django set up
against it, and a realistic site generator writing straight into the CMS database."""

from __future__ import annotations

import os
import platform
import random
import subprocess
import sys
import time
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
TAG_POOL = [
    "三会一课",
    "主题党日",
    "党费",
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
    "党风廉政",
]
UNIQUE_TOPICS = ["安全生产", "技术创新", "质量提升", "节能降耗", "客户服务", "人才培养", "数字化转型", "合规管理"]


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


def article_body(rng: random.Random, index: int, images: list) -> list:
    from wagtail.rich_text import RichText

    paragraphs = [rng.choice(PARAGRAPH_POOL) for _ in range(rng.randint(14, 18))]
    topic = UNIQUE_TOPICS[index % len(UNIQUE_TOPICS)]
    paragraphs.insert(2, f"第{index}号工作简报：围绕{topic}工作，编号{index}的专项行动已完成阶段性任务。")
    body = [("paragraph", RichText("".join(f"<p>{p}</p>" for p in paragraphs[:6])))]
    if images:
        body.append(("image", {"image": images[index % len(images)], "caption": f"活动现场（{index}）"}))
    body.append(("heading", "下一步工作"))
    body.append(("paragraph", RichText("".join(f"<p>{p}</p>" for p in paragraphs[6:]))))
    return body


def generate_site(n_pages: int, *, seed: int = 7, images: int = 20) -> dict:
    """Create a home page, 6 sections and `n_pages` live news articles in the database.

    Pages are created as live rows directly (no revision history), which is what years of
    publishing leave behind and keeps generation of 10,000 pages to about a minute.
    """
    import datetime
    import io

    from django.core.files.images import ImageFile
    from django.db import transaction
    from wagtail.images import get_image_model
    from wagtail.models import Collection

    from cms.bootstrap.demo.media import draw_demo_image
    from cms.bootstrap.roles import setup_roles
    from cms.openness.models import NewsPage, SectionPage
    from cms.openness.services import ensure_home_page
    from cms.publishing.models import ContentChange

    rng = random.Random(seed)
    started = time.monotonic()
    home = ensure_home_page(intro="基准测试站点")
    setup_roles()
    Image = get_image_model()
    pool = list(Image.objects.all()[:images])
    while len(pool) < images:
        image = Image(
            title=f"基准图片{len(pool)}",
            collection=Collection.get_first_root_node(),
            file=ImageFile(io.BytesIO(draw_demo_image(len(pool), 640, 360)), name=f"bench-{len(pool)}.jpg"),
        )
        image._set_file_hash()
        image.save()
        pool.append(image)
    sections = []
    for number in range(6):
        slug = f"section-{number}"
        section = SectionPage.objects.child_of(home).filter(slug=slug).first()
        if section is None:
            section = home.add_child(instance=SectionPage(title=f"栏目{number}", slug=slug, intro="基准测试栏目"))
        sections.append(section)
    existing = NewsPage.objects.count()
    today = datetime.date(2026, 11, 26)
    for index in range(existing, n_pages):
        section = sections[index % len(sections)]
        page = NewsPage(
            title=f"第{index}号：{rng.choice(TAG_POOL)}工作动态",
            slug=f"article-{index}",
            date=today - datetime.timedelta(days=index // 5),
            summary=rng.choice(PARAGRAPH_POOL)[:60],
            body=article_body(rng, index, pool),
            live=True,
            has_unpublished_changes=False,
            first_published_at=None,
        )
        with transaction.atomic():
            section.add_child(instance=page)
            page.tags.set(rng.sample(TAG_POOL, 2))
        if index % 1000 == 999:
            print(f"  生成 {index + 1}/{n_pages} 页", file=sys.stderr, flush=True)
    ContentChange.objects.all().delete()  # generation is not an editorial change
    return {"pages": n_pages, "seconds": round(time.monotonic() - started, 1)}


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


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tree_size_mb(path: Path) -> float:
    """Disk used by a tree, counting every inode once (hard links, and the directories
    releases share through symlinks, are followed and paid for once)."""
    from build_scripts.release_tree import disk_usage

    return disk_usage([path]) / 1024 / 1024
