"""Serving a file from private storage to someone the view has already authorised.

    private_file(field, *, filename, content_type, sandbox=False) -> FileResponse

An attachment (never shown inline), not sniffed, never cached by a shared cache; ``sandbox`` adds a CSP that lets
nothing in it run if a browser opens it anyway. A missing file (or an empty field) is a 404.
"""

from __future__ import annotations

from django.http import FileResponse, Http404


def private_file(field, *, filename: str, content_type: str, sandbox: bool = False) -> FileResponse:
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):  # ValueError: the field holds no file
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    if sandbox:
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
