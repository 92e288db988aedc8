from django.urls import include, path

from lookout.catalog import views

catalog_patterns = [
    path("c/<slug:slug>/", views.category, name="category"),
    path("p/<slug:slug>/", views.product, name="product"),
    path("images/<str:sku>.svg", views.image, name="image"),
    path("search/", views.search, name="search"),
    path("compare/", views.compare, name="compare"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("", include((catalog_patterns, "catalog"))),
]
