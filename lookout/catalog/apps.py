from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "lookout.catalog"
    label = "catalog"

    def ready(self) -> None:
        # Declares its page-cache counters (lookout.core.metrics), which /healthz shows.
        from django.db.models.signals import post_delete

        from lookout.catalog import cache  # noqa: F401
        from lookout.catalog.models import ProductPhoto
        from lookout.catalog.photos import forget_files

        # A photo deleted any way (the admin, a product's deletion) takes its files along.
        post_delete.connect(forget_files, sender=ProductPhoto, dispatch_uid="catalog.photo_files")
