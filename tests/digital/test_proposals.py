"""A library's staff propose their own free resources (a webzine, podcasts) through
moderation: they see and edit only their library's proposals, never the network's
resources, cannot publish, and every save of theirs waits for the network's coordination,
which publishes it."""

import html

import pytest
from django.test import Client
from django.urls import reverse

from digital.models import Resource
from digital.wagtail_hooks import resource_viewset

PROPOSAL = {
    "name": "Le webzine de Bron", "slug": "webzine-bron", "vendor": "Bibliothèques de Bron",
    "kind": "ressources_libres", "summary": "Critiques, rencontres et podcasts.",
    "guide": '{"blocks": [], "entityMap": {}}', "logo_alt": "", "audience": "tout_public",
    "age_min": "", "languages": "français", "devices": "", "url": "https://webzine.bron.example/",
    # What a proposal may not choose; ignored if sent.
    "published": "on", "access_method": "lien_signe", "signing_key": "x", "is_free": "",
    "whole_network": "",
}  # fmt: skip


def url(name, *args):
    return reverse(resource_viewset.get_url_name(name), args=args)


@pytest.fixture
def network_resource(db):
    return Resource.objects.create(
        name="Europresse", slug="europresse", kind="presse", summary="La presse.",
        url="https://nouveau.europresse.com/",
    )  # fmt: skip


def test_library_editor_proposes_a_free_resource_that_waits_for_the_network(client, cast):
    client.force_login(cast.editor_a)
    form = client.get(url("add")).content.decode()
    for network_field in ('name="published"', 'name="access_method"', 'name="signing_key"',
                          'name="shared_attributes"', 'name="communes"'):  # fmt: skip
        assert network_field not in form
    response = client.post(url("add"), PROPOSAL, follow=True)
    assert response.status_code == 200
    assert "publiée après validation par la coordination du réseau" in html.unescape(
        response.content.decode()
    )
    resource = Resource.objects.get(slug="webzine-bron")
    assert resource.proposed_by == cast.library_a
    assert (resource.published, resource.is_free, resource.whole_network) == (False, True, True)
    assert resource.access_method == "lien" and resource.signing_key == ""
    assert client.get(resource.get_absolute_url()).status_code == 404  # not public yet


def test_network_admin_publishes_the_proposal_and_a_later_edit_waits_again(client, cast):
    client.force_login(cast.editor_a)
    client.post(url("add"), PROPOSAL)
    resource = Resource.objects.get(slug="webzine-bron")

    client.force_login(cast.network_admin)
    listing = client.get(url("index"), {"proposed_by": cast.library_a.pk}).content.decode()
    assert "Le webzine de Bron" in listing
    data = {**PROPOSAL, "access_method": "lien", "signing_key": "", "is_free": "on",
            "whole_network": "on", "published": "on"}  # fmt: skip
    response = client.post(url("edit", resource.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    resource.refresh_from_db()
    assert resource.published and resource.proposed_by == cast.library_a
    public = client.get(resource.get_absolute_url()).content.decode()
    assert "Proposée par" in public and "Bibliothèques de Bron" in public

    client.force_login(cast.editor_a)
    client.post(url("edit", resource.pk), {**PROPOSAL, "summary": "Nouveau résumé."})
    resource.refresh_from_db()
    assert not resource.published and resource.summary == "Nouveau résumé."


def test_library_staff_never_see_the_networks_resources_or_another_librarys(
    client, cast, network_resource
):
    colleague = Client()  # library B's editor, in their own browser
    colleague.force_login(cast.editor_b)
    colleague.post(url("add"), {**PROPOSAL, "name": "Podcasts de Vénissieux", "slug": "podcasts"})
    theirs = Resource.objects.get(slug="podcasts")
    client.force_login(cast.editor_a)
    listing = client.get(url("index")).content.decode()
    assert "Europresse" not in listing and "Podcasts de Vénissieux" not in listing
    for resource in (network_resource, theirs):
        assert client.get(url("edit", resource.pk)).status_code in (403, 404, 302)
        response = client.post(url("edit", resource.pk), {**PROPOSAL, "slug": resource.slug})
        assert response.status_code in (403, 404, 302)
    network_resource.refresh_from_db()
    assert network_resource.name == "Europresse" and network_resource.proposed_by is None


def test_age_range_is_checked_and_shown(client, cast):
    client.force_login(cast.editor_a)
    refused = client.post(url("add"), {**PROPOSAL, "age_min": "12", "age_max": "6"})
    assert refused.status_code == 200
    assert "L&#x27;âge maximum est inférieur" in refused.content.decode()
    client.post(url("add"), {**PROPOSAL, "age_min": "6", "age_max": "12"})
    resource = Resource.objects.get(slug="webzine-bron")
    Resource.objects.filter(pk=resource.pk).update(published=True)
    assert "de 6 à 12 ans" in client.get(resource.get_absolute_url()).content.decode()
