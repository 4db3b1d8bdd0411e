"""No library's staff can reach another library's data through the back-office.

Every back-office screen built on ``LibraryScopedViewSet`` is found in Wagtail's viewset
registry and checked the same way (NetBox's inherited permission suites): a library's
admin and editor get a 404 or 403 on the other library's objects whatever the URL, 200 on
their own where their role allows the action, and lists and exports show their rows only.
A new scoped screen without a specimen below fails ``test_every_scoped_screen_is_covered``.
"""

import re
from datetime import date
from importlib import import_module

import pytest
from django.urls import reverse
from wagtail.admin.viewsets import viewsets as wagtail_viewsets

from accounts.models import LoginEvent, Role, StaffMember, User
from accounts.viewsets import LibraryScopedViewSet
from agenda.models import Event, NetworkOperation, Occurrence, SchoolHoliday
from agenda.services import sync_occurrences
from connectors.models import Connector, HarvestRun, SiteCode, SourceRecord
from digital.models import LibraryNetwork, Resource
from network.models import Commune, Library, OpeningException, Site
from stats.models import ActiveMembers
from tests.factories import EventFactory, OpeningExceptionFactory, UserFactory

OBJECT_VIEWS = ("edit", "delete", "inspect", "history", "usage")


def forbidden(response) -> bool:
    """A 403, as Wagtail gives it to a browser: back to the dashboard with an error message
    (``wagtail.admin.auth.require_admin_access`` turns PermissionDenied into that redirect)."""
    if response.status_code == 403:
        return True
    return response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


def refused(response) -> bool:
    return response.status_code == 404 or forbidden(response)


def scoped_viewsets() -> list[LibraryScopedViewSet]:
    import_module("wagtail.admin.urls")  # importing the admin URLs registers the viewsets
    return [vs for vs in wagtail_viewsets.viewsets if isinstance(vs, LibraryScopedViewSet)]


def library_owned_viewsets() -> list[LibraryScopedViewSet]:
    return [vs for vs in scoped_viewsets() if vs.permission_policy.library_path is not None]


def viewset_id(viewset) -> str:
    return viewset.model.__name__


# One object of each library per scoped model: (cast, "a" or "b") -> instance. For staff,
# the specimen is an editor, the one kind of colleague a library admin may manage.
SPECIMENS = {
    Library: lambda cast, side: getattr(cast, f"library_{side}"),
    Site: lambda cast, side: getattr(cast, f"site_{side}"),
    OpeningException: lambda cast, side: OpeningException.objects.get(
        site=getattr(cast, f"site_{side}")
    ),
    StaffMember: lambda cast, side: StaffMember.objects.get(pk=getattr(cast, f"editor_{side}").pk),
    Connector: lambda cast, side: Connector.objects.get(library=getattr(cast, f"library_{side}")),
    SiteCode: lambda cast, side: SiteCode.objects.get(code=f"CODE-{side.upper()}"),
    HarvestRun: lambda cast, side: HarvestRun.objects.get(
        connector__library=getattr(cast, f"library_{side}")
    ),
    SourceRecord: lambda cast, side: SourceRecord.objects.get(local_id=f"rejet-{side}"),
    Event: lambda cast, side: Event.objects.get(title=f"Heure du conte {side.upper()}"),
    Occurrence: lambda cast, side: Occurrence.objects.get(
        event__title=f"Heure du conte {side.upper()}"
    ),
    ActiveMembers: lambda cast, side: ActiveMembers.objects.get_or_create(
        library=getattr(cast, f"library_{side}"), year=2025, defaults={"count": 1200}
    )[0],
    # A library's proposal of a free resource (network resources have no library).
    Resource: lambda cast, side: Resource.objects.get_or_create(
        slug=f"webzine-{side}",
        defaults={
            "name": f"Webzine {side.upper()}",
            "kind": "ressources_libres",
            "summary": "Le webzine de la bibliothèque.",
            "url": f"https://webzine-{side}.example.org/",
            "is_free": True,
            "published": False,
            "proposed_by": getattr(cast, f"library_{side}"),
        },
    )[0],
}

# What a library's own staff may open on their own library's specimen (200); every other
# object view is a 403. Mirrors the role table in network/permissions.py and staff_policy.
OWN_LIBRARY_ACCESS = {
    (Role.LIBRARY_ADMIN, Library): {"edit", "inspect", "history", "usage"},
    (Role.LIBRARY_ADMIN, Site): set(OBJECT_VIEWS),
    (Role.LIBRARY_ADMIN, OpeningException): set(OBJECT_VIEWS),
    (Role.LIBRARY_ADMIN, StaffMember): set(OBJECT_VIEWS),
    (Role.LIBRARY_EDITOR, Library): {"inspect"},
    (Role.LIBRARY_EDITOR, Site): {"edit", "inspect", "history", "usage"},
    (Role.LIBRARY_EDITOR, OpeningException): set(OBJECT_VIEWS),
    (Role.LIBRARY_EDITOR, StaffMember): set(),
    (Role.LIBRARY_ADMIN, Connector): set(OBJECT_VIEWS),
    (Role.LIBRARY_EDITOR, Connector): {"inspect"},
    (Role.LIBRARY_ADMIN, SiteCode): set(OBJECT_VIEWS),
    (Role.LIBRARY_EDITOR, SiteCode): {"inspect"},
    (Role.LIBRARY_ADMIN, HarvestRun): {"inspect"},
    (Role.LIBRARY_EDITOR, HarvestRun): {"inspect"},
    (Role.LIBRARY_ADMIN, SourceRecord): {"inspect"},
    (Role.LIBRARY_EDITOR, SourceRecord): {"inspect"},
    (Role.LIBRARY_ADMIN, Event): set(OBJECT_VIEWS),
    (Role.LIBRARY_EDITOR, Event): set(OBJECT_VIEWS),
    # Dates come from their event's schedule: changed one by one, never deleted by hand.
    (Role.LIBRARY_ADMIN, Occurrence): {"edit", "inspect", "history", "usage"},
    (Role.LIBRARY_EDITOR, Occurrence): {"edit", "inspect", "history", "usage"},
    # Active members: entered by a library's administrators, not its editors.
    (Role.LIBRARY_ADMIN, ActiveMembers): set(OBJECT_VIEWS),
    (Role.LIBRARY_EDITOR, ActiveMembers): set(),
    (Role.LIBRARY_ADMIN, Resource): set(OBJECT_VIEWS),
    (Role.LIBRARY_EDITOR, Resource): set(OBJECT_VIEWS),
}


@pytest.fixture
def owned(cast):
    """The cast, plus what it lacks for every scoped model: an exception at each site, and
    each library's connector with a site code, a harvest and a quarantined record."""
    from django.utils import timezone

    for side, site in (("a", cast.site_a), ("b", cast.site_b)):
        OpeningExceptionFactory(
            site=site,
            label=f"Inventaire {site.name}",
            start_date=date(2030, 2, 1),
            end_date=date(2030, 2, 6),
        )
        connector = Connector.objects.create(
            library=site.library, name=f"Koha {side.upper()}", driver="demo"
        )
        SiteCode.objects.create(connector=connector, code=f"CODE-{side.upper()}", site=site)
        run = HarvestRun.objects.create(connector=connector, status="completed", read=1, rejected=1)
        SourceRecord.objects.create(
            connector=connector, local_id=f"rejet-{side}", format="iso2709", payload=b"00024",
            checksum="0", rejected_reason="enregistrement tronqué", last_seen_at=timezone.now(),
            last_run=run,
        )  # fmt: skip
        event = EventFactory(
            library=site.library, site=site, title=f"Heure du conte {side.upper()}",
            registration_required=True, capacity=15,
        )  # fmt: skip
        sync_occurrences(event)
    return cast


def object_url(viewset, view_name, obj) -> str:
    return reverse(viewset.get_url_name(view_name), args=[obj.pk])


def available_views(viewset) -> list[str]:
    views = ["edit", "delete", "history", "usage"]
    return [*views, "inspect"] if viewset.inspect_view_enabled else views


def network_only_viewsets() -> list[LibraryScopedViewSet]:
    return [vs for vs in scoped_viewsets() if vs.permission_policy.library_path is None]


# Reference data only network administrators manage: cast -> a row.
NETWORK_ONLY_SPECIMENS = {
    Commune: lambda cast: cast.commune_a,
    LoginEvent: lambda cast: LoginEvent.objects.get_or_create(
        kind=LoginEvent.Kind.FAILURE, detail="Essai de spécimen", library=cast.library_a
    )[0],
    NetworkOperation: lambda cast: NetworkOperation.objects.get_or_create(
        slug="nuit-de-la-lecture", defaults={"name": "Nuit de la lecture"}
    )[0],
    LibraryNetwork: lambda cast: LibraryNetwork.objects.get_or_create(
        library=cast.library_a, cidr="192.0.2.0/24"
    )[0],
    SchoolHoliday: lambda cast: SchoolHoliday.objects.get_or_create(
        zone="A",
        start_date=date(2030, 4, 6),
        defaults={"name": "Vacances de printemps", "end_date": date(2030, 4, 21)},
    )[0],
}


def test_every_scoped_screen_is_covered():
    assert {vs.model for vs in scoped_viewsets()} >= {
        Commune,
        Library,
        Site,
        OpeningException,
        StaffMember,
        Connector,
        SiteCode,
        HarvestRun,
        SourceRecord,
        Event,
        Occurrence,
        NetworkOperation,
        SchoolHoliday,
        Resource,
        LibraryNetwork,
        ActiveMembers,
    }
    for viewset in library_owned_viewsets():
        name = viewset.model.__name__
        assert viewset.model in SPECIMENS, f"add a specimen of {name}"
        for role in (Role.LIBRARY_ADMIN, Role.LIBRARY_EDITOR):
            assert (role, viewset.model) in OWN_LIBRARY_ACCESS, f"add {role} × {name}"
    for viewset in network_only_viewsets():
        assert viewset.model in NETWORK_ONLY_SPECIMENS, f"add a specimen of {viewset.model}"


@pytest.mark.parametrize("viewset", library_owned_viewsets(), ids=viewset_id)
@pytest.mark.parametrize("role", ["admin", "editor"])
def test_library_staff_cannot_open_another_librarys_object(client, owned, viewset, role):
    client.force_login(getattr(owned, f"{role}_a"))
    other = SPECIMENS[viewset.model](owned, "b")
    for view_name in available_views(viewset):
        response = client.get(object_url(viewset, view_name, other))
        assert refused(response), (view_name, response.status_code)


@pytest.mark.parametrize("viewset", library_owned_viewsets(), ids=viewset_id)
@pytest.mark.parametrize("role", ["admin", "editor"])
def test_library_staff_cannot_delete_another_librarys_object(client, owned, viewset, role):
    client.force_login(getattr(owned, f"{role}_a"))
    other = SPECIMENS[viewset.model](owned, "b")
    response = client.post(object_url(viewset, "delete", other))
    assert refused(response), response.status_code
    assert viewset.model.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("viewset", library_owned_viewsets(), ids=viewset_id)
@pytest.mark.parametrize("role", [Role.LIBRARY_ADMIN, Role.LIBRARY_EDITOR])
def test_library_staff_open_their_own_objects_as_their_role_allows(client, owned, viewset, role):
    user = owned.admin_a if role == Role.LIBRARY_ADMIN else owned.editor_a
    client.force_login(user)
    own = SPECIMENS[viewset.model](owned, "a")
    allowed = OWN_LIBRARY_ACCESS[(role, viewset.model)]
    for view_name in available_views(viewset):
        response = client.get(object_url(viewset, view_name, own))
        if view_name in allowed:
            assert response.status_code == 200, (view_name, response.status_code)
        else:
            assert forbidden(response), (view_name, response.status_code)


@pytest.mark.parametrize("viewset", library_owned_viewsets(), ids=viewset_id)
@pytest.mark.parametrize("role", ["admin", "editor"])
def test_list_and_export_show_only_the_users_library(client, owned, viewset, role):
    user = getattr(owned, f"{role}_a")
    client.force_login(user)
    own, other = SPECIMENS[viewset.model](owned, "a"), SPECIMENS[viewset.model](owned, "b")
    index_url = reverse(viewset.get_url_name("index"))
    listing = client.get(index_url)
    if not viewset.permission_policy.user_has_permission(user, "view"):
        assert forbidden(listing)
        assert forbidden(client.get(index_url, {"export": "csv"}))
        return
    assert listing.status_code == 200
    page = listing.content.decode()
    assert label(own) in page
    assert label(other) not in page
    # What htmx fetches when the list is searched or filtered.
    results = client.get(reverse(viewset.get_url_name("index_results"))).content.decode()
    assert label(own) in results
    assert label(other) not in results
    export = client.get(index_url, {"export": "csv"})
    assert export.status_code == 200
    assert export["Content-Type"].startswith("text/csv")
    rows = b"".join(export.streaming_content).decode("utf-8-sig")
    assert label(own) in rows
    assert label(other) not in rows


def label(obj) -> str:
    """The text that names ``obj`` in a listing and an export."""
    if isinstance(obj, User):
        return obj.email
    if isinstance(obj, OpeningException):
        return obj.label
    if isinstance(obj, SiteCode):
        return obj.code
    if isinstance(obj, HarvestRun):
        return obj.connector.name
    if isinstance(obj, Connector):
        return obj.name
    if isinstance(obj, LoginEvent):
        return obj.detail
    if isinstance(obj, Occurrence):
        return obj.event.title
    if isinstance(obj, SchoolHoliday):
        return obj.name
    if isinstance(obj, LibraryNetwork):
        return obj.cidr
    if isinstance(obj, ActiveMembers):
        return obj.library.name
    return str(obj)


@pytest.mark.parametrize("viewset", scoped_viewsets(), ids=viewset_id)
def test_network_admin_sees_and_opens_both_libraries_rows(client, owned, viewset):
    client.force_login(owned.network_admin)
    index_url = reverse(viewset.get_url_name("index"))
    if viewset.model in NETWORK_ONLY_SPECIMENS:
        objects = [NETWORK_ONLY_SPECIMENS[viewset.model](owned)]
    else:
        objects = [SPECIMENS[viewset.model](owned, side) for side in ("a", "b")]
    page = client.get(index_url).content.decode()
    rows = b"".join(client.get(index_url, {"export": "csv"}).streaming_content).decode()
    read_only = viewset.permission_policy.read_only  # rows only the system writes
    for obj in objects:
        assert label(obj) in page
        assert label(obj) in rows
        for view_name in available_views(viewset):
            response = client.get(object_url(viewset, view_name, obj))
            if read_only and view_name != "inspect":
                assert forbidden(response), view_name
            else:
                assert response.status_code == 200, view_name


@pytest.mark.parametrize("viewset", network_only_viewsets(), ids=viewset_id)
@pytest.mark.parametrize("role", ["admin", "editor"])
def test_reference_data_is_for_the_network_admin_only(client, cast, viewset, role):
    client.force_login(getattr(cast, f"{role}_a"))
    row = NETWORK_ONLY_SPECIMENS[viewset.model](cast)
    urls = [
        reverse(viewset.get_url_name("index")),
        reverse(viewset.get_url_name("index")) + "?export=csv",
        reverse(viewset.get_url_name("index_results")),
        reverse(viewset.get_url_name("add")),
        *(object_url(viewset, view_name, row) for view_name in available_views(viewset)),
    ]
    for url in urls:
        assert forbidden(client.get(url)), url
    assert forbidden(client.post(object_url(viewset, "delete", row)))
    assert viewset.model.objects.filter(pk=row.pk).exists()


def test_library_staff_cannot_add_communes_or_libraries(client, cast):
    from network.wagtail_hooks import library_viewset

    client.force_login(cast.admin_a)
    response = client.post(reverse(library_viewset.get_url_name("add")), {"name": "Intruse"})
    assert forbidden(response)
    assert not Library.objects.filter(name="Intruse").exists()


@pytest.mark.parametrize("path", ["/admin/users/", "/admin/groups/"])
@pytest.mark.parametrize("role", ["admin", "editor"])
def test_library_staff_cannot_open_wagtails_user_and_group_screens(client, cast, path, role):
    # Wagtail's own user screen lists every account, other libraries' staff included.
    client.force_login(getattr(cast, f"{role}_a"))
    assert forbidden(client.get(path))


def test_library_staff_cannot_edit_another_librarys_page(client, cast):
    from editorial.services import ensure_library_page

    page_b = ensure_library_page(cast.library_b)
    client.force_login(cast.editor_a)
    assert forbidden(client.get(f"/admin/pages/{page_b.pk}/edit/"))
    page_a = ensure_library_page(cast.library_a)
    assert client.get(f"/admin/pages/{page_a.pk}/edit/").status_code == 200


@pytest.mark.parametrize("path", ["/admin/", "/admin/lieux/", "/admin/equipe/"])
def test_patrons_are_sent_to_the_login_page(client, cast, path):
    client.force_login(cast.patron)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))


def test_anonymous_visitors_are_sent_to_the_login_page(client, cast):
    response = client.get("/admin/lieux/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))


# --- The staff screen ("Équipe") --------------------------------------------------------

STAFF_INDEX = "/admin/equipe/"
STAFF_ADD = "/admin/equipe/new/"


def invitation(**overrides) -> dict:
    data = {
        "first_name": "Alix",
        "last_name": "Durand",
        "email": "Alix.Durand@example.org",
        "role": Role.LIBRARY_EDITOR,
        "library": "",
        "is_active": "on",
    }
    return {**data, **overrides}


def test_library_admin_sees_their_librarys_staff_only(client, cast):
    client.force_login(cast.admin_a)
    page = client.get(STAFF_INDEX).content.decode()
    for colleague in (cast.admin_a, cast.editor_a):
        assert colleague.email in page
    for stranger in (cast.admin_b, cast.editor_b, cast.network_admin, cast.patron):
        assert stranger.email not in page


def test_library_admin_invites_an_editor_who_sets_their_own_password(
    client, cast, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(cast.admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(STAFF_ADD, invitation(library=cast.library_a.pk))
    assert response.status_code == 302
    invited = User.objects.get(email="alix.durand@example.org")
    assert (invited.role, invited.library, invited.username) == (
        Role.LIBRARY_EDITOR,
        cast.library_a,
        "alix.durand@example.org",
    )
    assert not invited.has_usable_password()
    assert invited.is_staff and not invited.is_superuser
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["alix.durand@example.org"]
    link = re.search(r"https?://\S+/admin/password_reset/confirm/\S+", mailoutbox[0].body)
    assert link, mailoutbox[0].body
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    client.logout()
    # Django swaps a valid token for a session and redirects to the set-password form.
    followed = client.get(f"/{path}", follow=True)
    assert followed.status_code == 200
    assert "new_password1" in followed.content.decode()


def test_library_admin_cannot_invite_a_library_admin(client, cast, mailoutbox):
    client.force_login(cast.admin_a)
    response = client.post(
        STAFF_ADD, invitation(role=Role.LIBRARY_ADMIN, library=cast.library_a.pk)
    )
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert not User.objects.filter(email="alix.durand@example.org").exists()
    assert mailoutbox == []


def test_library_admin_cannot_invite_into_another_library(client, cast, mailoutbox):
    client.force_login(cast.admin_a)
    response = client.post(STAFF_ADD, invitation(library=cast.library_b.pk))
    assert response.status_code == 200
    assert "library" in response.context["form"].errors
    assert not User.objects.filter(email="alix.durand@example.org").exists()
    assert mailoutbox == []


def test_library_admin_cannot_invite_a_network_admin(client, cast):
    client.force_login(cast.admin_a)
    response = client.post(STAFF_ADD, invitation(role=Role.NETWORK_ADMIN))
    assert response.status_code == 200
    assert not User.objects.filter(email="alix.durand@example.org").exists()


def test_network_admin_invites_a_library_admin(
    client, cast, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(cast.network_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            STAFF_ADD, invitation(role=Role.LIBRARY_ADMIN, library=cast.library_b.pk)
        )
    assert response.status_code == 302
    invited = User.objects.get(email="alix.durand@example.org")
    assert (invited.role, invited.library) == (Role.LIBRARY_ADMIN, cast.library_b)
    assert len(mailoutbox) == 1


def test_library_admin_deletes_an_editor_of_their_library(client, cast):
    client.force_login(cast.admin_a)
    response = client.post(f"/admin/equipe/delete/{cast.editor_a.pk}/")
    assert response.status_code == 302
    assert not User.objects.filter(pk=cast.editor_a.pk).exists()


def test_library_admin_cannot_delete_a_fellow_admin(client, cast):
    admin_a2 = UserFactory(
        role=Role.LIBRARY_ADMIN, library=cast.library_a, username="admin-a2@example.org"
    )
    client.force_login(cast.admin_a)
    url = f"/admin/equipe/delete/{admin_a2.pk}/"
    assert forbidden(client.get(url))
    assert forbidden(client.post(url))
    assert forbidden(client.get(f"/admin/equipe/edit/{admin_a2.pk}/"))
    assert User.objects.filter(pk=admin_a2.pk).exists()


@pytest.mark.parametrize("name", ["admin_b", "editor_b", "network_admin", "patron"])
def test_library_admin_cannot_delete_anyone_outside_their_library(client, cast, name):
    target = getattr(cast, name)
    client.force_login(cast.admin_a)
    response = client.post(f"/admin/equipe/delete/{target.pk}/")
    assert refused(response)
    assert User.objects.filter(pk=target.pk).exists()


def test_library_admin_cannot_move_an_editor_to_another_library(client, cast):
    client.force_login(cast.admin_a)
    data = invitation(
        first_name=cast.editor_a.first_name,
        last_name=cast.editor_a.last_name,
        email=cast.editor_a.email,
        library=cast.library_b.pk,
    )
    response = client.post(f"/admin/equipe/edit/{cast.editor_a.pk}/", data)
    assert response.status_code == 200
    cast.editor_a.refresh_from_db()
    assert cast.editor_a.library == cast.library_a


def test_library_admin_cannot_promote_an_editor(client, cast):
    client.force_login(cast.admin_a)
    data = invitation(
        first_name=cast.editor_a.first_name,
        last_name=cast.editor_a.last_name,
        email=cast.editor_a.email,
        role=Role.LIBRARY_ADMIN,
        library=cast.library_a.pk,
    )
    client.post(f"/admin/equipe/edit/{cast.editor_a.pk}/", data)
    cast.editor_a.refresh_from_db()
    assert cast.editor_a.role == Role.LIBRARY_EDITOR


@pytest.mark.parametrize(
    "path",
    [STAFF_INDEX, STAFF_INDEX + "?export=csv", STAFF_ADD, "/admin/equipe/edit/{editor}/"],
)
def test_editors_cannot_open_the_staff_screens(client, cast, path):
    client.force_login(cast.editor_a)
    response = client.get(path.format(editor=cast.editor_a.pk))
    assert forbidden(response)


def test_editors_cannot_invite_anyone(client, cast, mailoutbox):
    client.force_login(cast.editor_a)
    response = client.post(STAFF_ADD, invitation(library=cast.library_a.pk))
    assert forbidden(response)
    assert not User.objects.filter(email="alix.durand@example.org").exists()
    assert mailoutbox == []


# --- Forms: the choices of owner never reach another library ----------------------------


def form_data(response) -> dict:
    """The POST body a browser would send back for the form in ``response``, unchanged."""
    form = response.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if value is True:
            data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = str(value)
    return data


@pytest.mark.parametrize("role", ["admin", "editor"])
def test_library_staff_save_their_own_site(client, cast, role):
    from network.wagtail_hooks import site_viewset

    client.force_login(getattr(cast, f"{role}_a"))
    url = object_url(site_viewset, "edit", cast.site_a)
    data = {**form_data(client.get(url)), "phone": "04 72 00 00 00"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    cast.site_a.refresh_from_db()
    assert (cast.site_a.phone, cast.site_a.library) == ("04 72 00 00 00", cast.library_a)


@pytest.mark.parametrize("role", ["admin", "editor"])
def test_library_staff_cannot_move_their_site_to_another_library(client, cast, role):
    from network.wagtail_hooks import site_viewset

    client.force_login(getattr(cast, f"{role}_a"))
    url = object_url(site_viewset, "edit", cast.site_a)
    data = {**form_data(client.get(url)), "library": str(cast.library_b.pk)}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "library" in response.context["form"].errors
    cast.site_a.refresh_from_db()
    assert cast.site_a.library == cast.library_a


def test_library_admin_cannot_create_a_site_for_another_library(client, cast):
    from network.wagtail_hooks import site_viewset

    client.force_login(cast.admin_a)
    data = {
        "library": str(cast.library_b.pk),
        "name": "Annexe intruse",
        "slug": "annexe-intruse",
        "kind": "building",
        "commune": str(cast.commune_b.pk),
    }
    response = client.post(reverse(site_viewset.get_url_name("add")), data)
    assert response.status_code == 200
    assert "library" in response.context["form"].errors
    assert not Site.objects.filter(slug="annexe-intruse").exists()


@pytest.mark.parametrize("role", ["admin", "editor"])
def test_library_staff_add_exceptions_to_their_own_sites_only(client, cast, role):
    from network.wagtail_hooks import exception_viewset

    client.force_login(getattr(cast, f"{role}_a"))
    url = reverse(exception_viewset.get_url_name("add"))
    data = {"label": "Inventaire", "start_date": "2030-02-01", "end_date": "2030-02-06"}
    refused_response = client.post(url, {**data, "site": str(cast.site_b.pk)})
    assert refused_response.status_code == 200
    assert "site" in refused_response.context["form"].errors
    assert not OpeningException.objects.filter(site=cast.site_b).exists()
    accepted = client.post(url, {**data, "site": str(cast.site_a.pk)})
    assert accepted.status_code == 302
    assert OpeningException.objects.filter(site=cast.site_a, label="Inventaire").exists()


# --- A connector's own back-office pages (outside the viewsets) --------------------------

# URL name → the driver of a connector that page is for.
CONNECTOR_PAGES = {"connectors_harvest": "demo", "connectors_patron_file": "patron_file"}


@pytest.mark.parametrize("url_name", CONNECTOR_PAGES)
@pytest.mark.parametrize("role", ["admin", "editor"])
def test_library_staff_cannot_open_or_post_to_another_librarys_connector_pages(
    client, cast, url_name, role
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from connectors.models import PatronImport

    other = Connector.objects.create(
        library=cast.library_b, name="Autre", driver=CONNECTOR_PAGES[url_name]
    )
    client.force_login(getattr(cast, f"{role}_a"))
    url = reverse(url_name, args=[other.pk])
    assert client.get(url).status_code == 404
    upload = SimpleUploadedFile("lecteurs.csv", b"numero_carte;nom\n10000001;Intrus\n")
    assert client.post(url, {"action": "harvest", "file": upload}).status_code == 404
    assert not HarvestRun.objects.exists() and not PatronImport.objects.exists()


@pytest.mark.parametrize("role", ["admin", "network_admin"])
def test_a_librarys_patron_list_is_for_its_administrators_and_the_network(client, cast, role):
    own = Connector.objects.create(library=cast.library_a, name="Lecteurs", driver="patron_file")
    url = reverse("connectors_patron_file", args=[own.pk])
    client.force_login(cast.network_admin if role == "network_admin" else cast.admin_a)
    assert client.get(url).status_code == 200
    client.force_login(cast.editor_a)  # content editors: no patrons' personal data
    assert forbidden(client.get(url))
