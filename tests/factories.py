from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import factory
from factory.django import DjangoModelFactory

from accounts.models import Role, User
from network.models import Commune, Library, OpeningException, Site

PARIS = ZoneInfo("Europe/Paris")


class CommuneFactory(DjangoModelFactory):
    class Meta:
        model = Commune
        django_get_or_create = ("insee_code",)

    insee_code = factory.Sequence(lambda n: f"69{n % 1000:03d}")
    name = factory.Sequence(lambda n: f"Commune {n}")
    population = 10000


class LibraryFactory(DjangoModelFactory):
    class Meta:
        model = Library
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Bibliothèque {n}")
    slug = factory.Sequence(lambda n: f"bibliotheque-{n}")

    @factory.post_generation
    def communes(self, create, extracted, **kwargs):
        if create and extracted:
            self.communes.add(*extracted)


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site

    library = factory.SubFactory(LibraryFactory)
    commune = factory.SubFactory(CommuneFactory)
    name = factory.Sequence(lambda n: f"Médiathèque {n}")
    slug = factory.Sequence(lambda n: f"mediatheque-{n}")
    address = "1 place de la Mairie"
    postcode = "69000"
    latitude = "45.750000"
    longitude = "4.850000"
    opening_hours = "Tu-Fr 10:00-18:00; Sa 10:00-17:00"


class OpeningExceptionFactory(DjangoModelFactory):
    class Meta:
        model = OpeningException

    site = factory.SubFactory(SiteFactory)
    label = "Inventaire"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.org")
    email = factory.LazyAttribute(lambda u: u.username)
    first_name = "Dominique"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    role = Role.PATRON
    password = factory.django.Password("correct-horse-battery-staple")


class EventFactory(DjangoModelFactory):
    """A story time at a site next Wednesday 10:30–11:15 (Europe/Paris), free, no
    registration unless asked."""

    class Meta:
        model = "agenda.Event"

    library = factory.SubFactory(LibraryFactory)
    site = factory.LazyAttribute(lambda e: SiteFactory(library=e.library))
    title = factory.Sequence(lambda n: f"Heure du conte {n}")
    category = "conte"
    starts_at = factory.LazyFunction(lambda: _next_weekday(2, 10, 30))
    ends_at = factory.LazyAttribute(lambda e: e.starts_at + timedelta(minutes=45))


def _next_weekday(weekday: int, hour: int, minute: int) -> datetime:
    today = datetime.now(PARIS).date()
    day = today + timedelta(days=(weekday - today.weekday()) % 7 or 7)
    return datetime.combine(day, time(hour, minute), PARIS)
