from django.urls import path

from marketplace.consumers import UserEventsConsumer

# Each app adds its WebSocket routes here (negotiations: the deal room).
websocket_urlpatterns = [
    path("ws/me/", UserEventsConsumer.as_asgi()),
]
