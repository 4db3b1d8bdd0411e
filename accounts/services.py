"""Staff accounts: roles, the groups Wagtail needs for them, invitations."""

import logging

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

from accounts.models import LIBRARY_ROLES, Role, User

logger = logging.getLogger(__name__)

LIBRARY_STAFF_GROUP = "Personnel des bibliothèques"
PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page")


def library_team_group_name(library) -> str:
    return f"Équipe — {library.name} (#{library.pk})"


IMAGE_PERMISSIONS = ("add_image", "change_image", "choose_image")


def library_staff_group() -> Group:
    group, created = Group.objects.get_or_create(name=LIBRARY_STAFF_GROUP)
    if created:
        group.permissions.add(Permission.objects.get(codename="access_admin"))
    return group


def _library_key(library) -> str:
    # Groups and collections are found by the library's id, never by its name, so that
    # renaming a library keeps its staff's rights and photos; the name only follows.
    return f"(#{library.pk})"


def library_team_group(library) -> Group:
    name = library_team_group_name(library)
    group = Group.objects.filter(
        name__startswith="Équipe — ", name__endswith=_library_key(library)
    ).first()
    if group is None:
        return Group.objects.create(name=name)
    if group.name != name:
        group.name = name
        group.save(update_fields=["name"])
    return group


def library_collection(library) -> Collection:
    """The library's own image collection (site photos): its staff see no other library's."""
    root = Collection.get_first_root_node()
    name = f"{library.name} {_library_key(library)}"
    collection = root.get_children().filter(name__endswith=_library_key(library)).first()
    if collection is None:
        return root.add_child(name=name)
    if collection.name != name:
        collection.name = name
        collection.save(update_fields=["name"])
    return collection


def grant_library_permissions(library, page) -> None:
    """The library's staff edit and publish their library's page and what lies below it,
    and add, change and choose images in their library's own collection."""
    group = library_team_group(library)
    for codename in PAGE_PERMISSIONS:
        GroupPagePermission.objects.get_or_create(
            group=group,
            page=page,
            permission=Permission.objects.get(
                content_type__app_label="wagtailcore", codename=codename
            ),
        )
    collection = library_collection(library)
    for codename in IMAGE_PERMISSIONS:
        GroupCollectionPermission.objects.get_or_create(
            group=group,
            collection=collection,
            permission=Permission.objects.get(
                content_type__app_label="wagtailimages", codename=codename
            ),
        )


def sync_staff_groups(user: User) -> None:
    """Put the user in exactly the groups their role implies (called on every save)."""
    managed = Group.objects.filter(name=LIBRARY_STAFF_GROUP) | Group.objects.filter(
        name__startswith="Équipe — "
    )
    user.groups.remove(*managed)
    if user.role in LIBRARY_ROLES and user.library_id:
        user.groups.add(library_staff_group(), library_team_group(user.library))


class StaffError(ValidationError):
    pass


@transaction.atomic
def invite_staff(*, actor: User, email: str, first_name: str, last_name: str, role: str, library):
    """Create a staff account with no usable password and e-mail a link to choose one.

    A network administrator invites anyone; a library administrator invites editors of
    their own library only. Raises PermissionDenied otherwise, StaffError for a taken e-mail.
    """
    if not actor.is_network_admin:
        if actor.role != Role.LIBRARY_ADMIN or role != Role.LIBRARY_EDITOR:
            raise PermissionDenied("Vous ne pouvez inviter que des éditeurs de votre bibliothèque.")
        if library is None or library.pk != actor.library_id:
            raise PermissionDenied("Vous ne pouvez inviter que des éditeurs de votre bibliothèque.")
    if User.objects.filter(username__iexact=email).exists():
        raise StaffError("Un compte existe déjà avec cette adresse e-mail.")
    user = User(
        username=email.lower(),
        email=email.lower(),
        first_name=first_name,
        last_name=last_name,
        role=role,
        library=library if role in LIBRARY_ROLES else None,
        is_staff=True,
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    transaction.on_commit(lambda: send_invitation(user))
    logger.info("Staff account %s invited by %s (role %s)", user.pk, actor.pk, role)
    return user


def send_invitation(user: User) -> None:
    from django.conf import settings

    token = default_token_generator.make_token(user)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("wagtailadmin_password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    link = f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}{path}"
    send_mail(
        "Votre compte Métrobib",
        (
            f"Bonjour {user.first_name},\n\n"
            "Un compte vous a été créé sur l'espace d'administration de Métrobib.\n"
            f"Choisissez votre mot de passe en suivant ce lien :\n{link}\n\n"
            "Ce lien ne sert qu'une fois."
        ),
        None,
        [user.email],
    )
