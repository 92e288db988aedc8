from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "lookout.reviews"
    label = "reviews"

    def ready(self) -> None:
        # Showing a published review to every visitor is a use outside the fixed purposes: the
        # gate allows it (to the store itself, never to staff) only where this check finds the
        # reviewer's own agreement to publish (C3.8), given when they wrote it.
        from lookout.access.gate import register_consent_check
        from lookout.reviews.selectors import agreed_to_publish

        register_consent_check(agreed_to_publish)
