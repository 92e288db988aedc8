from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "lookout.privacy"
    label = "privacy"

    def ready(self) -> None:
        # A request made while a conversation of the person's is with the privacy officer is
        # linked to it (issue 23, item 3): lookout.privacy.conversation_requests.
        from lookout.privacy.conversation_requests import connect

        connect()
