"""Writes to the page tree: the fixed structure, and a page for each library."""

from django.db import transaction
from django.utils.text import slugify
from wagtail.models import Page, Site
from wagtail.rich_text import RichText

from editorial.models import (
    HomePage,
    LibraryIndexPage,
    LibraryPage,
    NewsIndexPage,
    SelectionIndexPage,
    SiteMapPage,
    StandardPage,
)
from editorial.standard_pages import STANDARD_PAGES


@transaction.atomic
def ensure_library_page(library) -> LibraryPage:
    """The library's page under /reseau/, created and published if it does not exist, and
    its staff's rights on it and on their image collection (granted again if missing)."""
    from accounts.services import grant_library_permissions

    page = LibraryPage.objects.filter(library=library).first()
    if page is None:
        index = LibraryIndexPage.objects.get()
        slug, n = slugify(library.slug)[:200], 2
        while index.get_children().filter(slug=slug).exists():
            slug, n = f"{slugify(library.slug)[:195]}-{n}", n + 1
        page = LibraryPage(title=library.name, slug=slug, library=library)
        index.add_child(instance=page)
        page.save_revision().publish()
    grant_library_permissions(library, page)
    return page


def _body(blocks):
    stream = []
    for kind, value in blocks:
        if kind == "heading":
            stream.append(("heading", {"text": value, "level": "h2"}))
        else:
            stream.append(("paragraph", RichText(value)))
    return stream


@transaction.atomic
def ensure_site_structure() -> HomePage:
    """The home page, /reseau/ and the standard pages, each created only if missing.

    Runs after every ``migrate`` (editorial.apps), so a fresh database — production,
    development or a test run — always has the pages the footer links to.
    """
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        home = HomePage(
            title="Les bibliothèques de la Métropole de Lyon",
            slug="accueil",
            intro="<p>58 communes, près de 100 lieux, un seul portail : trouvez la "
            "bibliothèque la plus proche, ses horaires et ses services.</p>",
        )
        root.add_child(instance=home)
        default_site = Site.objects.filter(is_default_site=True).first()
        welcome = default_site.root_page.specific if default_site else None
        if default_site:
            default_site.root_page = home
            default_site.site_name = "Métrobib"
            default_site.save()
        else:
            Site.objects.create(
                hostname="localhost", port=80, root_page=home, is_default_site=True,
                site_name="Métrobib",
            )  # fmt: skip
        if welcome is not None and not isinstance(welcome, HomePage):
            welcome.delete()
    children = home.get_children()
    if not children.filter(slug="reseau").exists():
        home.add_child(
            instance=LibraryIndexPage(
                title="Les bibliothèques du réseau",
                slug="reseau",
                intro="<p>Chaque bibliothèque du réseau, ses lieux et ses actualités.</p>",
            )
        )
    for slug, title, intro, blocks in STANDARD_PAGES:
        if not children.filter(slug=slug).exists():
            home.add_child(
                instance=StandardPage(title=title, slug=slug, intro=intro, body=_body(blocks))
            )
    if not children.filter(slug="plan-du-site").exists():
        home.add_child(instance=SiteMapPage(title="Plan du site", slug="plan-du-site"))
    news = NewsIndexPage.objects.first()
    if news is None:
        news = NewsIndexPage(
            title="Actualités", slug="actualites",
            intro="<p>Les nouvelles du réseau et de ses bibliothèques.</p>",
        )  # fmt: skip
        home.add_child(instance=news)
    selections = SelectionIndexPage.objects.first()
    if selections is None:
        selections = SelectionIndexPage(
            title="Sélections des bibliothécaires", slug="selections",
            intro="<p>Coups de cœur et listes thématiques des bibliothécaires du réseau.</p>",
        )  # fmt: skip
        home.add_child(instance=selections)
    if not home.body:
        home.body = HOME_BLOCKS
        home.save_revision().publish()
    ensure_network_moderation([news, selections])
    return home


# The home page's sections when nobody has arranged them yet.
HOME_BLOCKS = [
    ("search", {"heading": "Trouver une bibliothèque"}),
    ("open_now", {"heading": "Ouvert maintenant"}),
    ("events", {"heading": "Prochaines animations", "count": 6}),
    ("selections", {"heading": "Les coups de cœur des bibliothécaires", "count": 3}),
    ("news", {"heading": "Actualités du réseau", "count": 3}),
    ("operations", {"heading": "Temps forts du réseau"}),
]
MODERATION_WORKFLOW = "Modération des contenus du réseau"
MODERATION_TASK = "Validation par la coordination du réseau"
MODERATORS_GROUP = "Coordination du réseau"


def ensure_network_moderation(index_pages) -> None:
    """Network-wide news and selections go through moderation: library staff may write and
    submit them below these index pages (add and change, not publish); the network's
    coordination (network administrators, and the members of its group) approves and
    publishes. Below their own library's page, library staff publish themselves."""
    from django.contrib.auth.models import Group, Permission
    from wagtail.models import (
        GroupApprovalTask,
        GroupPagePermission,
        Workflow,
        WorkflowPage,
        WorkflowTask,
    )

    from accounts.services import library_staff_group

    moderators, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    task = GroupApprovalTask.objects.filter(name=MODERATION_TASK).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=MODERATION_TASK)
        task.groups.set([moderators])
    workflow, _ = Workflow.objects.get_or_create(name=MODERATION_WORKFLOW)
    if not WorkflowTask.objects.filter(workflow=workflow).exists():
        # Not workflow.workflow_tasks.create(): on a ClusterableModel that only adds to
        # the unsaved cluster.
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    staff = library_staff_group()
    for page in index_pages:
        WorkflowPage.objects.get_or_create(page=page, defaults={"workflow": workflow})
        for codename in ("add_page", "change_page"):
            GroupPagePermission.objects.get_or_create(
                group=staff,
                page=page,
                permission=Permission.objects.get(
                    content_type__app_label="wagtailcore", codename=codename
                ),
            )
