from django.urls import path

from agenda import views

app_name = "agenda"

urlpatterns = [
    path("", views.agenda, name="agenda"),
    path("flux.ics", views.feed_ics, name="feed_ics"),
    path("flux.rss", views.feed_rss, name="feed_rss"),
    path("<int:pk>.ics", views.occurrence_ics, name="occurrence_ics"),
    path("<int:pk>/", views.occurrence, name="occurrence_short"),
    path("<int:pk>/<slug:slug>/", views.occurrence, name="occurrence"),
    path("inscription/<str:token>/", views.registration, name="registration"),
]
