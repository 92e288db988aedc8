from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "lookout.privacy"
    label = "privacy"

    def ready(self) -> None:
        # A request made while a conversation of the person's is with the privacy officer is
        # linked to it (issue 23, item 3): lookout.privacy.conversation_requests.
        from lookout.access.restrictions import register_restriction_check
        from lookout.privacy.conversation_requests import connect
        from lookout.privacy.restriction import restricted_subjects

        connect()
        # Who has restricted processing (Art. 18, C6.9): the gate, marketing and consent ask
        # lookout.access.restrictions, which asks this app's records.
        register_restriction_check(restricted_subjects)
