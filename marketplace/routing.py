from django.urls import path

from marketplace.consumers import UserEventsConsumer
from negotiations.consumers import DealRoomConsumer

# Each app adds its WebSocket routes here (negotiations: the deal room).
websocket_urlpatterns = [
    path("ws/me/", UserEventsConsumer.as_asgi()),
    path("ws/deals/<int:deal_id>/", DealRoomConsumer.as_asgi()),
]
