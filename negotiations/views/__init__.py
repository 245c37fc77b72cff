"""Deal-room pages (``room``: the room and its forms; ``deals``: the list, opening, downloads). Routes in
``negotiations.urls``."""
