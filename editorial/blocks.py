"""StreamField blocks shared by every editorial page."""

from wagtail import blocks

from catalogue.chooser import WorkChooserBlock
from digital.chooser import ResourceChooserBlock


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label="Titre", max_length=150)
    level = blocks.ChoiceBlock(
        label="Niveau",
        choices=[("h2", "Titre de section (h2)"), ("h3", "Sous-titre (h3)")],
        default="h2",
    )

    class Meta:
        icon = "title"
        label = "Titre"
        template = "editorial/blocks/heading.html"


class BodyBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        label="Paragraphe",
        features=["bold", "italic", "link", "ol", "ul", "document-link"],
    )

    class Meta:
        label = "Contenu"


# --------------------------------------------------------------------------- selections


class SelectedWorkBlock(blocks.StructBlock):
    work = WorkChooserBlock(label="Œuvre du catalogue")
    comment = blocks.TextBlock(label="Le mot du bibliothécaire", required=False, max_length=600)

    class Meta:
        icon = "doc-full"
        label = "Œuvre du catalogue"
        template = "editorial/blocks/selected_work.html"


def _valid_isbn(value: str) -> None:
    from django.core.exceptions import ValidationError
    from stdnum import isbn

    if value and not isbn.is_valid(value):
        raise ValidationError("Cet ISBN n'est pas valide (10 ou 13 chiffres, clé comprise).")


class SelectedBookBlock(blocks.StructBlock):
    """A document not (yet) in the union catalogue: a new release, a digital resource."""

    title = blocks.CharBlock(label="Titre", max_length=300)
    author = blocks.CharBlock(label="Auteur", max_length=200, required=False)
    isbn = blocks.CharBlock(label="ISBN", max_length=20, required=False, validators=[_valid_isbn])
    comment = blocks.TextBlock(label="Le mot du bibliothécaire", required=False, max_length=600)

    class Meta:
        icon = "doc-empty"
        label = "Livre hors catalogue"
        template = "editorial/blocks/selected_book.html"


class SelectedResourceBlock(blocks.StructBlock):
    resource = ResourceChooserBlock(label="Ressource numérique")
    comment = blocks.TextBlock(label="Le mot du bibliothécaire", required=False, max_length=600)

    class Meta:
        icon = "globe"
        label = "Ressource numérique"
        template = "editorial/blocks/selected_resource.html"


class SelectionBlock(blocks.StreamBlock):
    work = SelectedWorkBlock()
    book = SelectedBookBlock()
    resource = SelectedResourceBlock()
    text = blocks.RichTextBlock(label="Texte", features=["bold", "italic", "link", "ul"])

    class Meta:
        label = "Sélection"


# ----------------------------------------------------------------------- home page


class HomeSectionBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label="Titre de la section", max_length=100)

    class Meta:
        abstract = True


class CatalogueSearchBlock(HomeSectionBlock):
    class Meta:
        icon = "search"
        label = "Recherche : trouver une bibliothèque, le catalogue, l'agenda"
        template = "editorial/blocks/home_search.html"


class OpenNowBlock(HomeSectionBlock):
    class Meta:
        icon = "time"
        label = "Bibliothèques ouvertes maintenant"
        template = "editorial/blocks/home_open_now.html"


class UpcomingEventsBlock(HomeSectionBlock):
    count = blocks.IntegerBlock(label="Nombre de dates", default=6, min_value=1, max_value=12)

    class Meta:
        icon = "date"
        label = "Prochaines animations"
        template = "editorial/blocks/home_events.html"


class LatestSelectionsBlock(HomeSectionBlock):
    count = blocks.IntegerBlock(label="Nombre de sélections", default=3, min_value=1, max_value=6)

    class Meta:
        icon = "list-ul"
        label = "Dernières sélections"
        template = "editorial/blocks/home_selections.html"


class LatestNewsBlock(HomeSectionBlock):
    count = blocks.IntegerBlock(label="Nombre d'actualités", default=3, min_value=1, max_value=6)

    class Meta:
        icon = "openquote"
        label = "Dernières actualités"
        template = "editorial/blocks/home_news.html"


class OperationsBlock(HomeSectionBlock):
    class Meta:
        icon = "tag"
        label = "Opérations du réseau"
        template = "editorial/blocks/home_operations.html"


class HomeBlock(BodyBlock):
    search = CatalogueSearchBlock()
    open_now = OpenNowBlock()
    events = UpcomingEventsBlock()
    selections = LatestSelectionsBlock()
    news = LatestNewsBlock()
    operations = OperationsBlock()

    class Meta:
        label = "Contenu de l'accueil"
