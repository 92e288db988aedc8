from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "lookout.catalog"
    label = "catalog"
