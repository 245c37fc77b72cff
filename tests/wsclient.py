"""A minimal asyncio WebSocket client (RFC 6455, text frames) for tests and benchmarks that talk to a real
Daphne over loopback. Standard library only (no WebSocket package is installed).

    socket = await WebSocket.connect("127.0.0.1", port, "/ws/deals/1/", cookie="sessionid=…",
                                     origin="http://127.0.0.1")
    await socket.send_json({"type": "resume", "after": 0})
    message = await socket.receive_json(timeout=5)       # raises Closed(code) when the server closes
    await socket.close()

A refused handshake (Channels closing before accept: Daphne answers HTTP 403) raises ``Refused(status)``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct

TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class Refused(Exception):
    def __init__(self, status: int):
        self.status = status
        super().__init__(f"handshake refused with HTTP {status}")


class Closed(Exception):
    def __init__(self, code: int | None):
        self.code = code
        super().__init__(f"closed by the server (code {code})")


class WebSocket:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, host: str, port: int, path: str, *, cookie: str = "", origin: str = "",
                      timeout: float = 10) -> "WebSocket":
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if origin:
            lines.append(f"Origin: {origin}")
        if cookie:
            lines.append(f"Cookie: {cookie}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        status = int(head.split(b" ", 2)[1])
        if status != 101:
            writer.close()
            raise Refused(status)
        return cls(reader, writer)

    async def _send_frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(header + mask + masked)
        await self.writer.drain()

    async def send_text(self, text: str) -> None:
        await self._send_frame(TEXT, text.encode())

    async def send_json(self, content) -> None:
        await self.send_text(json.dumps(content))

    async def _read_frame(self) -> tuple[int, bool, bytes]:
        first, second = await self.reader.readexactly(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        mask = await self.reader.readexactly(4) if second & 0x80 else b""
        payload = await self.reader.readexactly(length)
        if mask:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return first & 0x0F, bool(first & 0x80), payload

    async def receive_text(self) -> str:
        parts: list[bytes] = []
        while True:
            try:
                opcode, final, payload = await self._read_frame()
            except (asyncio.IncompleteReadError, ConnectionError):
                raise Closed(None) from None
            if opcode == PING:
                await self._send_frame(PONG, payload)
            elif opcode == CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise Closed(code)
            elif opcode != PONG:
                parts.append(payload)
                if final:
                    return b"".join(parts).decode()

    async def receive_json(self, timeout: float = 5):
        return json.loads(await asyncio.wait_for(self.receive_text(), timeout))

    async def nothing_within(self, timeout: float) -> bool:
        """True if no message arrives within ``timeout`` seconds (a close counts as nothing)."""
        try:
            await asyncio.wait_for(self.receive_text(), timeout)
        except asyncio.TimeoutError:
            return True
        except Closed:
            return True
        return False

    async def close(self) -> None:
        try:
            await self._send_frame(CLOSE, struct.pack("!H", 1000))
        except ConnectionError:
            pass
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass
