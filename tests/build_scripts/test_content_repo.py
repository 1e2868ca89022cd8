"""build_scripts.content_repo: a content repository whose git dir lives outside content/."""

import subprocess

import pytest

from build_scripts.content_repo import ContentRepo, ContentRepoError

EDITOR = ("张三", "zhangsan@example.cn")


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def outer(tmp_path):
    """A project repository like ours: content/ inside, its git dir under var/."""
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text("var/\n/content/*\n!/content/README.md\n")
    git(root, "add", ".gitignore")
    git(root, "-c", "user.name=lead", "-c", "user.email=lead@example.cn", "commit", "-q", "-m", "init")
    return root


@pytest.fixture
def repo(outer):
    return ContentRepo.open_or_init(outer / "content", outer / "var" / "content.git")


def write(repo, path, text):
    target = repo.work_tree / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def test_init_creates_separate_git_dir_with_readme_commit(repo, outer):
    assert not (outer / "content" / ".git").exists()
    assert (outer / "var" / "content.git" / "HEAD").is_file()
    head = repo.head()
    assert head is not None
    assert git(outer / "var" / "content.git", "--git-dir=.", "ls-tree", "--name-only", head).split() == ["README.md"]
    assert git(outer / "var" / "content.git", "--git-dir=.", "config", "core.worktree").strip() == str(
        outer / "content"
    )


def test_open_or_init_reopens_existing_repo(repo, outer):
    again = ContentRepo.open_or_init(outer / "content", outer / "var" / "content.git")
    assert again.head() == repo.head()


def test_refuses_a_git_dir_inside_the_work_tree(tmp_path):
    (tmp_path / "content" / ".git").mkdir(parents=True)
    with pytest.raises(ContentRepoError):
        ContentRepo.open_or_init(tmp_path / "content", tmp_path / "content.git")


def test_outer_repository_is_unaffected(repo, outer, monkeypatch):
    before = git(outer, "rev-parse", "HEAD")
    # Run from inside content/: git must not discover the project's repository.
    monkeypatch.chdir(outer / "content")
    write(repo, "news/a.md", "# 新闻\n")
    sha = repo.commit_all("发布：新闻", *EDITOR)
    assert sha is not None
    assert git(outer, "rev-parse", "HEAD") == before
    assert git(outer, "log", "--oneline").count("\n") == 1
    # content/README.md is the one content file the project tracks; it was not there
    # before init, so it is the only thing the project's status can report.
    assert git(outer, "status", "--porcelain", "--untracked-files=all").split() in ([], ["??", "content/README.md"])


def test_commit_all_commits_changes_and_returns_none_when_clean(repo):
    write(repo, "news/三会一课.md", "---\ntitle: 三会一课\n---\n正文\n")
    sha = repo.commit_all("发布：三会一课", *EDITOR)
    assert sha and len(sha) == 40 and sha == repo.head()
    assert repo.commit_all("无变化", *EDITOR) is None
    assert repo.head() == sha


def test_commit_all_records_deletions_and_chinese_authors(repo):
    write(repo, "news/a.md", "一\n")
    repo.commit_all("新增", *EDITOR)
    (repo.work_tree / "news" / "a.md").unlink()
    sha = repo.commit_all(
        "撤下", "李四", "lisi@example.cn", committer_name="发布系统", committer_email="publisher@example.cn"
    )
    entry = repo.log(max_count=1)[0]
    assert entry["sha"] == sha
    assert (entry["author_name"], entry["author_email"]) == ("李四", "lisi@example.cn")
    assert (entry["committer_name"], entry["committer_email"]) == ("发布系统", "publisher@example.cn")
    assert entry["message"] == "撤下"
    with pytest.raises(FileNotFoundError):
        repo.show_file(sha, "news/a.md")


def test_log_by_path_show_file_and_diff(repo):
    write(repo, "news/a.md", "第一版\n")
    first = repo.commit_all("a 第一版", *EDITOR)
    write(repo, "theory/b.md", "理论\n")
    repo.commit_all("b", *EDITOR)
    write(repo, "news/a.md", "第二版\n")
    third = repo.commit_all("a 第二版", *EDITOR)

    history = repo.log("news/a.md")
    assert [e["message"] for e in history] == ["a 第二版", "a 第一版"]
    assert len(repo.log()) == 4  # with the initial README commit
    assert repo.log(max_count=2)[0]["sha"] == third
    assert repo.show_file(first, "news/a.md") == "第一版\n"
    diff = repo.diff(first, third, "news/a.md")
    assert "-第一版" in diff and "+第二版" in diff and "theory/b.md" not in diff
    assert "theory/b.md" in repo.diff(first, third)
    assert repo.changed_paths(first, third) == ["news/a.md", "theory/b.md"]


def test_revert_undoes_a_publish_with_a_new_commit(repo):
    write(repo, "news/a.md", "正确\n")
    repo.commit_all("第一版", *EDITOR)
    write(repo, "news/a.md", "错误\n")
    bad = repo.commit_all("有误的修改", *EDITOR)
    sha = repo.revert(bad, *EDITOR)
    assert sha != bad
    assert repo.show_file(sha, "news/a.md") == "正确\n"
    assert (repo.work_tree / "news" / "a.md").read_text(encoding="utf-8") == "正确\n"
    assert repo.log(max_count=1)[0]["message"] == "撤回：有误的修改"


def test_empty_repository_helpers(tmp_path):
    repo = ContentRepo.open_or_init(tmp_path / "c", tmp_path / "c.git")
    assert repo.log("missing.md") == []


def test_commit_all_with_paths_stages_only_those(repo):
    write(repo, "news/a.md", "甲")
    write(repo, "news/b.md", "乙")
    repo.commit_all("发布：甲乙", *EDITOR)
    write(repo, "news/a.md", "甲（修订）")  # named: staged
    (repo.work_tree / "news/b.md").unlink()  # named: its deletion is staged
    write(repo, "news/c.md", "丙")  # named, new: staged
    write(repo, "stray.md", "没点名")  # not named: left alone
    sha = repo.commit_all("修改", *EDITOR, paths=["news/a.md", "news/b.md", "news/c.md", "news/never-existed.md"])
    assert sha is not None and repo.head() == sha
    assert repo.changed_paths(repo.log(max_count=2)[1]["sha"], sha) == ["news/a.md", "news/b.md", "news/c.md"]
    entry = repo.log(max_count=1)[0]
    assert entry["author_name"] == EDITOR[0] and entry["message"].startswith("修改")
    repo.wait_for_index()
    assert git(repo.work_tree, "--git-dir", str(repo.git_dir), "status", "--porcelain").strip() == "?? stray.md"
    # Nothing differs from HEAD under the named paths: no commit.
    assert repo.commit_all("无变化", *EDITOR, paths=["news/a.md"]) is None
    assert repo.commit_all("无变化", *EDITOR, paths=[]) is None
    assert repo.head() == sha
    # The reflog says what happened, as `git commit` would.
    assert "commit: 修改" in git(repo.work_tree, "--git-dir", str(repo.git_dir), "reflog", "-1")


def _tree_git_would_commit(repo, tmp_path):
    """The tree `git add -A` + `git write-tree` make of content/ as it is (own index file)."""
    env = {"GIT_INDEX_FILE": str(tmp_path / "reference-index")}
    repo.git.add(A=True, env=env)
    return repo.git.write_tree(env=env)


def test_a_commit_of_named_paths_has_the_tree_git_itself_would_make(repo, tmp_path):
    # Names whose order differs between files and directories ("a.md" < "a/" < "a-b" in git).
    for path, text in {
        "a.md": "甲",
        "a/b.md": "乙",
        "a-b/c.md": "丙",
        "党建/支部/活动.md": "丁",
        "党建/支部/深/更深/页.md": "戊",
        "news/old.md": "旧",
        "news/keep.md": "留",
    }.items():
        write(repo, path, text)
    repo.commit_all("初始", *EDITOR)
    (repo.work_tree / "tool.sh").write_text("#!/bin/sh\n")
    (repo.work_tree / "tool.sh").chmod(0o755)
    (repo.work_tree / "link.md").symlink_to("a.md")
    write(repo, "党建/支部/活动.md", "丁（修订）")
    write(repo, "a/新/页.md", "己")
    (repo.work_tree / "党建/支部/深/更深/页.md").unlink()  # its two directories go with it
    (repo.work_tree / "党建/支部/深/更深").rmdir()
    (repo.work_tree / "党建/支部/深").rmdir()
    (repo.work_tree / "news/old.md").unlink()
    named = [
        "tool.sh",
        "link.md",
        "党建/支部/活动.md",
        "a/新/页.md",
        "党建/支部/深/更深/页.md",
        "news/old.md",
        "no/such.md",
    ]

    sha = repo.commit_all("修改", *EDITOR, paths=named)

    assert repo.repo.commit(sha).tree.hexsha == _tree_git_would_commit(repo, tmp_path)
    assert git(repo.work_tree, "--git-dir", str(repo.git_dir), "fsck", "--strict", "--no-dangling") == ""
    assert repo.show_file(sha, "党建/支部/活动.md") == "丁（修订）"
    listing = git(repo.work_tree, "--git-dir", str(repo.git_dir), "ls-tree", "-r", sha)
    assert "100755 blob" in next(line for line in listing.splitlines() if line.endswith("tool.sh"))
    assert "120000 blob" in next(line for line in listing.splitlines() if line.endswith("link.md"))
    assert "深" not in listing and "news/old.md" not in listing and "news/keep.md" in listing
    # The index catches up: git sees content/ as committed, and the next commit builds on it.
    repo.wait_for_index()
    assert git(repo.work_tree, "--git-dir", str(repo.git_dir), "status", "--porcelain") == ""
    assert repo.commit_all("无变化", *EDITOR) is None


def _loose_objects(repo):
    return sorted(str(path) for path in (repo.git_dir / "objects").glob("??/*"))


def test_deleting_every_file_commits_the_empty_tree_once(repo):
    repo.commit_all("只剩一个文件", *EDITOR)
    (repo.work_tree / "README.md").unlink()
    sha = repo.commit_all("清空", *EDITOR, paths=["README.md"])
    assert git(repo.work_tree, "--git-dir", str(repo.git_dir), "ls-tree", "-r", sha) == ""
    # Already empty: naming a file that is not there again commits nothing.
    assert repo.commit_all("再次清空", *EDITOR, paths=["README.md", "news/none.md"]) is None
    assert repo.head() == sha


def test_a_file_that_became_a_directory_leaves_the_tree_and_its_files_come_in(repo):
    write(repo, "news/2024", "曾是文件")
    repo.commit_all("文件", *EDITOR, paths=["news/2024"])
    (repo.work_tree / "news/2024").unlink()
    write(repo, "news/2024/a.md", "目录中的文件")
    sha = repo.commit_all("变成目录", *EDITOR, paths=["news/2024", "news/2024/a.md"])
    assert repo.show_file(sha, "news/2024/a.md") == "目录中的文件"
    repo.wait_for_index()
    assert git(repo.work_tree, "--git-dir", str(repo.git_dir), "status", "--porcelain") == ""


def test_unchanged_named_files_cost_no_objects_and_bad_paths_are_refused(repo):
    write(repo, "news/a.md", "甲")
    write(repo, "news/b.md", "乙")
    repo.commit_all("甲乙", *EDITOR, paths=["news/a.md", "news/b.md"])
    before = _loose_objects(repo)
    assert repo.commit_all("未改", *EDITOR, paths=["news/a.md", "news/b.md"]) is None
    assert _loose_objects(repo) == before
    write(repo, "news/a.md", "甲（修订）")
    repo.commit_all("改甲", *EDITOR, paths=["news/a.md", "news/b.md"])
    assert len(_loose_objects(repo)) - len(before) == 4  # the new blob, two trees, the commit
    head = repo.head()
    for bad in ["/etc/passwd", "news/../../x.md", "news//a.md", ".git/config", "news/./a.md", ""]:
        with pytest.raises(ContentRepoError, match="不合法的内容路径"):
            repo.commit_all("坏路径", *EDITOR, paths=[bad])
    assert repo.head() == head


def test_a_failed_index_update_leaves_commits_and_rollbacks_right(repo, caplog):
    write(repo, "news/a.md", "甲")
    first = repo.commit_all("甲", *EDITOR, paths=["news/a.md"])
    repo.wait_for_index()
    lock = repo.git_dir / "index.lock"
    lock.write_text("")  # another git process holds the index: the update fails
    write(repo, "news/a.md", "甲（修订）")
    second = repo.commit_all("修订", *EDITOR, paths=["news/a.md"])
    repo.wait_for_index()
    assert "git update-index failed" in caplog.text
    assert repo.show_file(second, "news/a.md") == "甲（修订）"
    lock.unlink()
    # The index still has the first version; undoing the second commit must still work.
    repo.revert(second, *EDITOR)
    assert (repo.work_tree / "news/a.md").read_text(encoding="utf-8") == "甲"
    assert repo.show_file(repo.head(), "news/a.md") == "甲"
    assert git(repo.work_tree, "--git-dir", str(repo.git_dir), "status", "--porcelain") == ""
    # And a rollback to the first version's tree finds nothing left to change.
    assert repo.restore_tree(first, "回滚", *EDITOR) is None
