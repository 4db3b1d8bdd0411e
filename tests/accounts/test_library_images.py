"""Site photos stay within their library: each library's staff work in their own collection."""

import pytest
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.permissions import policy_registry

from accounts.services import library_collection
from editorial.services import ensure_library_page

pytestmark = pytest.mark.django_db
permission_policy = policy_registry.get_by_type(get_image_model())


@pytest.fixture
def photos(cast):
    ensure_library_page(cast.library_a)
    ensure_library_page(cast.library_b)
    Image = get_image_model()
    photo_a = Image.objects.create(
        title="Façade A", file=get_test_image_file(), collection=library_collection(cast.library_a)
    )
    photo_b = Image.objects.create(
        title="Façade B", file=get_test_image_file(), collection=library_collection(cast.library_b)
    )
    return photo_a, photo_b


@pytest.mark.parametrize("role", ["admin_a", "editor_a"])
def test_library_staff_choose_only_their_librarys_photos(cast, photos, role):
    photo_a, photo_b = photos
    user = getattr(cast, role)
    choosable = permission_policy.instances_user_has_permission_for(user, "choose")
    assert photo_a in choosable
    assert photo_b not in choosable


def test_library_staff_add_photos_to_their_librarys_collection_only(cast, photos):
    collections = permission_policy.collections_user_has_permission_for(cast.editor_a, "add")
    assert list(collections) == [library_collection(cast.library_a)]


def test_network_admin_chooses_every_photo(cast, photos):
    choosable = permission_policy.instances_user_has_permission_for(cast.network_admin, "choose")
    assert set(photos) <= set(choosable)


def test_library_staff_cannot_open_another_librarys_photo(client, cast, photos):
    client.force_login(cast.editor_a)
    response = client.get(f"/admin/images/{photos[1].pk}/")
    assert response.status_code in (302, 403, 404)
    assert client.get(f"/admin/images/{photos[0].pk}/").status_code == 200


def test_renaming_a_library_keeps_its_staffs_rights_and_photos(cast, photos):
    from accounts.services import library_team_group

    group = library_team_group(cast.library_a)
    cast.library_a.name = "Médiathèques de Bron"
    cast.library_a.save()
    cast.editor_a.save()
    assert library_team_group(cast.library_a) == group
    assert photos[0].collection == library_collection(cast.library_a)
    assert photos[0] in permission_policy.instances_user_has_permission_for(cast.editor_a, "choose")
