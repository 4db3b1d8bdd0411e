"""Roles: the role × action table, asked of the policies the back-office uses, and what a
role implies for the account (superuser flag, groups, page permissions, passwords)."""

from datetime import date

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from wagtail.models import Page
from wagtail.permissions import policy_registry

from accounts.models import Role, StaffMember, User
from accounts.services import LIBRARY_STAFF_GROUP, library_team_group_name
from network.models import Commune, Library, OpeningException, Site
from tests.factories import OpeningExceptionFactory, UserFactory

# What each role may do, per model, on its own library's rows (network admins: on every
# row). "x" allowed, "." refused. Library staff never act on another library's rows.
ROLE_TABLE = """
model             role            view add change delete export
Commune           network_admin   x    x   x      x      x
Commune           library_admin   .    .   .      .      .
Commune           library_editor  .    .   .      .      .
Commune           patron          .    .   .      .      .
Library           network_admin   x    x   x      x      x
Library           library_admin   x    .   x      .      x
Library           library_editor  x    .   .      .      x
Library           patron          .    .   .      .      .
Site              network_admin   x    x   x      x      x
Site              library_admin   x    x   x      x      x
Site              library_editor  x    .   x      .      x
Site              patron          .    .   .      .      .
OpeningException  network_admin   x    x   x      x      x
OpeningException  library_admin   x    x   x      x      x
OpeningException  library_editor  x    x   x      x      x
OpeningException  patron          .    .   .      .      .
StaffMember       network_admin   x    x   x      x      x
StaffMember       library_admin   x    x   x      x      x
StaffMember       library_editor  .    .   .      .      .
StaffMember       patron          .    .   .      .      .
"""
MODELS = {m.__name__: m for m in (Commune, Library, Site, OpeningException, StaffMember)}


def role_table() -> list[tuple[type, str, str, bool]]:
    header, *lines = ROLE_TABLE.strip().splitlines()
    actions = header.split()[2:]
    cases = []
    for line in lines:
        model, role, *marks = line.split()
        for action, mark in zip(actions, marks, strict=True):
            cases.append((MODELS[model], role, action, mark == "x"))
    return cases


ROLE_CASES = role_table()
CASE_IDS = [f"{m.__name__}-{r}-{a}" for m, r, a, _ in ROLE_CASES]

USER_BY_ROLE = {
    Role.NETWORK_ADMIN: "network_admin",
    Role.LIBRARY_ADMIN: "admin_a",
    Role.LIBRARY_EDITOR: "editor_a",
    Role.PATRON: "patron",
}


def specimen(cast, model, side: str):
    """A row of library A or B; for staff, an editor (what a library admin manages)."""
    if model is Commune:
        return getattr(cast, f"commune_{side}")
    if model is Library:
        return getattr(cast, f"library_{side}")
    if model is Site:
        return getattr(cast, f"site_{side}")
    if model is OpeningException:
        return OpeningException.objects.filter(site=getattr(cast, f"site_{side}")).first()
    return StaffMember.objects.get(pk=getattr(cast, f"editor_{side}").pk)


@pytest.fixture
def owned(cast):
    for site in (cast.site_a, cast.site_b):
        OpeningExceptionFactory(site=site, start_date=date(2030, 2, 1), end_date=date(2030, 2, 6))
    return cast


def test_the_role_table_covers_every_model_and_role():
    assert {(m, r) for m, r, _, _ in ROLE_CASES} == {
        (m, r.value) for m in MODELS.values() for r in Role
    }


@pytest.mark.parametrize(("model", "role", "action", "allowed"), ROLE_CASES, ids=CASE_IDS)
def test_role_may_perform_action_on_model(owned, model, role, action, allowed):
    policy = policy_registry.get_by_type(model)
    user = getattr(owned, USER_BY_ROLE[role])
    assert policy.user_has_permission(user, action) is allowed


@pytest.mark.parametrize(("model", "role", "action", "allowed"), ROLE_CASES, ids=CASE_IDS)
def test_role_may_perform_action_on_own_librarys_row(owned, model, role, action, allowed):
    policy = policy_registry.get_by_type(model)
    user = getattr(owned, USER_BY_ROLE[role])
    own = specimen(owned, model, "a")
    assert policy.user_has_permission_for_instance(user, action, own) is allowed
    assert (own in policy.instances_user_has_permission_for(user, action)) is allowed


@pytest.mark.parametrize(("model", "role", "action", "allowed"), ROLE_CASES, ids=CASE_IDS)
def test_only_network_admins_act_on_another_librarys_row(owned, model, role, action, allowed):
    policy = policy_registry.get_by_type(model)
    user = getattr(owned, USER_BY_ROLE[role])
    other = specimen(owned, model, "b")
    expected = allowed and role == Role.NETWORK_ADMIN
    assert policy.user_has_permission_for_instance(user, action, other) is expected
    assert (other in policy.instances_user_has_permission_for(user, action)) is expected


@pytest.mark.parametrize("action", ["view", "export"])
def test_library_admin_sees_fellow_admins_and_editors(cast, action):
    policy = policy_registry.get_by_type(StaffMember)
    rows = set(policy.instances_user_has_permission_for(cast.admin_a, action))
    assert rows == {StaffMember.objects.get(pk=u.pk) for u in (cast.admin_a, cast.editor_a)}


@pytest.mark.parametrize("action", ["change", "delete"])
def test_library_admin_manages_editors_not_admins(cast, action):
    policy = policy_registry.get_by_type(StaffMember)
    admin_a2 = UserFactory(role=Role.LIBRARY_ADMIN, library=cast.library_a)
    for admin in (cast.admin_a, admin_a2):
        target = StaffMember.objects.get(pk=admin.pk)
        assert not policy.user_has_permission_for_instance(cast.admin_a, action, target)


def test_staff_screen_never_lists_patrons(cast):
    policy = policy_registry.get_by_type(StaffMember)
    rows = policy.instances_user_has_permission_for(cast.network_admin, "view")
    assert not rows.filter(pk=cast.patron.pk).exists()


@pytest.mark.parametrize("model", list(MODELS.values()), ids=lambda m: m.__name__)
def test_deactivated_staff_lose_every_permission(cast, model):
    cast.admin_a.is_active = False
    cast.admin_a.save()
    policy = policy_registry.get_by_type(model)
    assert not policy.user_has_any_permission(cast.admin_a, ["view", "add", "change", "delete"])
    assert not policy.instances_user_has_permission_for(cast.admin_a, "view").exists()


# --- What a role implies for the account ------------------------------------------------


@pytest.mark.parametrize("role", [Role.LIBRARY_ADMIN, Role.LIBRARY_EDITOR])
def test_library_staff_without_a_library_are_refused_by_the_database(db, role):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="sans-bibliotheque@example.org", role=role)


@pytest.mark.parametrize("role", [Role.NETWORK_ADMIN, Role.PATRON])
def test_other_roles_with_a_library_are_refused_by_the_database(cast, role):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="rattache@example.org", role=role, library=cast.library_a)


@pytest.mark.parametrize(
    ("role", "superuser", "staff"),
    [
        (Role.NETWORK_ADMIN, True, True),
        (Role.LIBRARY_ADMIN, False, True),
        (Role.LIBRARY_EDITOR, False, True),
        (Role.PATRON, False, False),
    ],
)
def test_role_decides_superuser_and_staff_flags(cast, role, superuser, staff):
    library = cast.library_a if role in (Role.LIBRARY_ADMIN, Role.LIBRARY_EDITOR) else None
    user = UserFactory(role=role, library=library, is_staff=not staff)
    user.refresh_from_db()
    assert (user.is_superuser, user.is_staff) == (superuser, staff)


def test_demoted_network_admin_is_no_longer_superuser(cast):
    cast.network_admin.role = Role.PATRON
    cast.network_admin.save()
    cast.network_admin.refresh_from_db()
    assert not cast.network_admin.is_superuser
    assert not cast.network_admin.is_staff


def test_superuser_created_from_the_command_line_becomes_network_admin(db):
    user = User.objects.create_superuser("root@example.org", "root@example.org", "x" * 20)
    assert user.role == Role.NETWORK_ADMIN
    assert user.is_network_admin


def managed_group_names(user) -> set[str]:
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


@pytest.mark.parametrize("name", ["admin_a", "editor_a"])
def test_library_staff_get_the_staff_group_and_their_team_group(cast, name):
    user = getattr(cast, name)
    assert managed_group_names(user) == {
        LIBRARY_STAFF_GROUP,
        library_team_group_name(cast.library_a),
    }
    assert User.objects.get(pk=user.pk).has_perm("wagtailadmin.access_admin")


@pytest.mark.parametrize("name", ["network_admin", "patron"])
def test_network_admins_and_patrons_get_no_managed_group(cast, name):
    assert managed_group_names(getattr(cast, name)) == set()


def test_moving_an_editor_to_another_library_changes_their_team_group(cast):
    cast.editor_a.library = cast.library_b
    cast.editor_a.save()
    assert managed_group_names(cast.editor_a) == {
        LIBRARY_STAFF_GROUP,
        library_team_group_name(cast.library_b),
    }


def test_a_former_editor_leaves_every_managed_group(cast):
    cast.editor_a.role, cast.editor_a.library = Role.PATRON, None
    cast.editor_a.save()
    assert managed_group_names(cast.editor_a) == set()
    assert not User.objects.get(pk=cast.editor_a.pk).has_perm("wagtailadmin.access_admin")


def test_library_staff_edit_and_publish_their_librarys_page_only(cast):
    from editorial.services import ensure_library_page

    page_a = ensure_library_page(cast.library_a)
    page_b = ensure_library_page(cast.library_b)
    home = Page.objects.get(depth=2)
    for name in ("admin_a", "editor_a"):
        user = User.objects.get(pk=getattr(cast, name).pk)
        own = page_a.permissions_for_user(user)
        assert own.can_edit() and own.can_publish(), name
        assert not page_b.permissions_for_user(user).can_edit(), name
        assert not home.permissions_for_user(user).can_edit(), name


def test_staff_who_join_later_get_the_page_permissions_too(cast):
    from editorial.services import ensure_library_page

    page_a = ensure_library_page(cast.library_a)
    newcomer = UserFactory(role=Role.LIBRARY_EDITOR, library=cast.library_a)
    assert page_a.permissions_for_user(User.objects.get(pk=newcomer.pk)).can_publish()


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Bron2024!", "trop court"),
        ("123456789012345", "entièrement numérique"),
        ("qwertyuiop123", "trop courant"),
        ("editor-a@example.org", "trop semblable"),
    ],
)
def test_weak_staff_passwords_are_refused_in_french(cast, password, reason):
    with pytest.raises(ValidationError) as error:
        validate_password(password, user=cast.editor_a)
    assert any(reason in message for message in error.value.messages), error.value.messages


def test_a_long_unusual_staff_password_is_accepted(cast):
    validate_password("Lucie-Aubrac-lit-sous-le-tilleul", user=cast.editor_a)


def test_invited_staff_cannot_choose_a_weak_password(client, cast):
    user = cast.editor_a
    user.set_unusable_password()
    user.save()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = reverse("wagtailadmin_password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"new_password1": "Bron2024!", "new_password2": "Bron2024!"})
    assert response.status_code == 200
    assert "trop court" in response.content.decode()
    user.refresh_from_db()
    assert not user.has_usable_password()
