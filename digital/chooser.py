"""A chooser of the digital library's resources for the back-office (selections)."""

from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.chooser import ChooseResultsView, ChooseView
from wagtail.admin.viewsets.chooser import ChooserViewSet

from digital.models import Resource


class ResourceChooseMixin:
    ordering = ["name"]

    def get_object_list(self):
        return Resource.objects.filter(published=True)

    @property
    def columns(self):
        return [self.title_column, Column("vendor", label="Fournisseur")]


class ResourceChooseView(ResourceChooseMixin, ChooseView):
    pass


class ResourceChooseResultsView(ResourceChooseMixin, ChooseResultsView):
    pass


class ResourceChooserViewSet(ChooserViewSet):
    model = Resource
    icon = "globe"
    choose_one_text = "Choisir une ressource numérique"
    choose_another_text = "Choisir une autre ressource"
    choose_view_class = ResourceChooseView
    choose_results_view_class = ResourceChooseResultsView


resource_chooser_viewset = ResourceChooserViewSet("digital_resource_chooser")
ResourceChooserBlock = resource_chooser_viewset.get_block_class(
    name="ResourceChooserBlock", module_path="digital.chooser"
)
