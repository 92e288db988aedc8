from django.urls import include, path, re_path

from lookout.catalog import photos, views

catalog_patterns = [
    path("c/<slug:slug>/", views.category, name="category"),
    path("p/<slug:slug>/", views.product, name="product"),
    path("images/<str:sku>.svg", views.image, name="image"),
    path("search/", views.search, name="search"),
    path("compare/", views.compare, name="compare"),
    # Product photos at MEDIA_URL's default path, from whatever storage holds them.
    re_path(
        rf"^media/(?P<name>{photos.PREFIX}{photos.NAME_PATTERN})$",
        views.photo_file,
        name="photo_file",
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("", include((catalog_patterns, "catalog"))),
]
