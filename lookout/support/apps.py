from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "lookout.support"
    label = "support"

    def ready(self) -> None:
        """Every inbox message, not only our answers, may be announced by email: the person
        chose to hear when *a* message waits (issue 23, item 6)."""
        from lookout.inbox.services import on_message_posted
        from lookout.support.notices import announce

        on_message_posted(announce)
