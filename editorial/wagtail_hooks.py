from wagtail import hooks

from catalogue.chooser import work_chooser_viewset


@hooks.register("register_admin_viewset")
def register_work_chooser():
    return work_chooser_viewset
