"""WebSocket consumers. They only relay events (see ``marketplace.events``) to authorised sockets."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from marketplace.events import user_group


class UserEventsConsumer(AsyncJsonWebsocketConsumer):
    """``/ws/me/``: the signed-in user's own events (verification decisions, later notifications)."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # Clients only listen on this socket.
        pass

    async def relay_event(self, message):
        await self.send_json({"event": message["event"], "payload": message["payload"]})
