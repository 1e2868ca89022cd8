from wagtail.models import Page, Site

from .models import HomePage


def ensure_home_page(title: str = "首页", intro: str = "") -> HomePage:
    """Make a HomePage the root of the default site (replacing Wagtail's "Welcome" page)."""
    home = HomePage.objects.first()
    if home is not None:
        return home
    root = Page.get_first_root_node()
    # Wagtail's initial "Welcome" page (slug "home") is not part of our tree.
    for welcome in root.get_children().exact_type(Page):
        if not welcome.get_children().exists():
            welcome.delete()
    home = root.add_child(instance=HomePage(title=title, slug="home", intro=intro, live=False))
    home.save_revision().publish()
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "网络党建平台"},
    )
    return home
