"""The digital library's demo data: real services, the two single sign-on demo vendors
(an OpenID Connect client with the demo's fixed identifier), and Lyon's proposals."""

from django.contrib.auth.hashers import check_password

from digital import demo
from digital.models import Resource
from tests.factories import CommuneFactory, LibraryFactory


def test_demo_resources_load_twice_the_same(cast):
    lyon = LibraryFactory(
        name="Bibliothèque municipale de Lyon", slug="lyon",
        communes=[CommuneFactory(insee_code="69123", name="Lyon")],
    )  # fmt: skip
    expected = len(demo.RESOURCES) + 3 + len(demo.LIBRARY_PROPOSALS)
    assert demo.load_demo_resources() == expected
    assert demo.load_demo_resources() == expected
    assert Resource.objects.count() == expected

    course = Resource.objects.get(access_method="oidc")
    assert course.oidc_client.client_id == demo.DEMO_OIDC_CLIENT_ID
    assert check_password(demo.DEMO_OIDC_CLIENT_SECRET, course.oidc_client.client_secret)
    assert Resource.objects.get(access_method="cas").vendor_url_list == [
        "http://127.0.0.1:8001/kiosque/"
    ]
    proposals = Resource.objects.filter(proposed_by=lyon).order_by("slug")
    assert [(r.slug, r.published, r.is_free) for r in proposals] == [
        ("l-influx", True, True), ("points-d-actu", False, True)
    ]  # fmt: skip
