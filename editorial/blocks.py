"""StreamField blocks shared by every editorial page."""

from wagtail import blocks


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
