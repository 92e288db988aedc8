from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "lookout.inbox"
    label = "inbox"
