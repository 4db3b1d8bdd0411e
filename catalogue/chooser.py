"""A chooser of the union catalogue's works for the back-office (selections of the
editorial pages): the modal searches with the catalogue's own search, so editors find a
work the way patrons do (accents, plurals, ISBN)."""

from django import forms
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.chooser import ChooseResultsView, ChooseView
from wagtail.admin.viewsets.chooser import ChooserViewSet

from catalogue.models import Work


class WorkSearchForm(BaseFilterForm):
    q = forms.CharField(
        label="Titre, auteur ou ISBN",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Titre, auteur ou ISBN"}),
    )

    def filter(self, objects):
        from catalogue.search import SearchQuery, search

        objects = super().filter(objects)
        text = self.cleaned_data.get("q", "").strip()
        if not text:
            return objects
        self.is_searching, self.search_query = True, text
        ids = [hit.work_id for hit in search(SearchQuery(text=text, per_page=50)).hits]
        return objects.filter(pk__in=ids)


class WorkChooseMixin:
    filter_form_class = WorkSearchForm
    ordering = ["-library_count", "title"]

    @property
    def columns(self):
        return [
            self.title_column,
            Column("main_author", label="Auteur"),
            Column("year", label="Année"),
            Column("library_count", label="Bibliothèques"),
        ]  # fmt: skip


class WorkChooseView(WorkChooseMixin, ChooseView):
    pass


class WorkChooseResultsView(WorkChooseMixin, ChooseResultsView):
    pass


class WorkChooserViewSet(ChooserViewSet):
    model = Work
    icon = "doc-full"
    choose_one_text = "Choisir une œuvre du catalogue"
    choose_another_text = "Choisir une autre œuvre"
    choose_view_class = WorkChooseView
    choose_results_view_class = WorkChooseResultsView
    per_page = 20


work_chooser_viewset = WorkChooserViewSet("catalogue_work_chooser")
WorkChooserBlock = work_chooser_viewset.get_block_class(
    name="WorkChooserBlock", module_path="catalogue.chooser"
)
