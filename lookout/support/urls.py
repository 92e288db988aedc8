from django.urls import path

from lookout.support import staff_views, views

app_name = "support"
urlpatterns = [
    path("", views.help_page, name="help"),
    path("conversations/", views.my_conversations, name="mine"),
    path("conversations/new/", views.new_conversation, name="new"),
    path("conversations/<uuid:conversation_id>/", views.conversation, name="conversation"),
    path("notices/", views.notices, name="notices"),
    path("outbox/", views.outbox, name="outbox"),
    path("guest/<str:token>/", views.guest, name="guest"),
    path("ask/", views.visitor_ask, name="visitor"),
    path("ask/<str:token>/", views.visitor_conversation, name="visitor_conversation"),
    path("staff/", staff_views.queue, name="staff_queue"),
    path("staff/search/", staff_views.search, name="staff_search"),
    path("staff/notices/", staff_views.notices, name="staff_notices"),
    path(
        "staff/<uuid:conversation_id>/",
        staff_views.conversation,
        name="staff_conversation",
    ),
]
