"""Private, write-once file storage for agreements.

``WriteOnceFileSystemStorage`` refuses to write a name that exists (Django's FileSystemStorage would pick
another name; here a second write is a bug) and refuses deletion: a signed PDF, once stored, stays as it was.
``LookupStorage(alias)`` is what a FileField holds: it looks ``STORAGES[alias]`` up at each call, so a changed
setting (another location, object storage, a test's directory) applies.
"""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage, Storage, storages


class AlreadyStored(Exception):
    """A write to a name that is already stored (agreements are written once)."""


class WriteOnceFileSystemStorage(FileSystemStorage):
    def get_available_name(self, name, max_length=None):
        if self.exists(name):
            raise AlreadyStored(f"{name} is already stored; agreement files are written once")
        return super().get_available_name(name, max_length=max_length)

    def _save(self, name, content):
        if self.exists(name):
            raise AlreadyStored(f"{name} is already stored; agreement files are written once")
        return super()._save(name, content)

    def delete(self, name):
        raise AlreadyStored(f"{name} is an agreement file; agreement files are never deleted")


class LookupStorage(Storage):
    def __init__(self, alias: str):
        self.alias = alias

    def deconstruct(self):
        return ("negotiations.storage.LookupStorage", (self.alias,), {})

    def _target(self):
        return storages[self.alias]

    def save(self, name, content, max_length=None):
        return self._target().save(name, content, max_length=max_length)

    def open(self, name, mode="rb"):
        return self._target().open(name, mode)

    def delete(self, name):
        return self._target().delete(name)

    def exists(self, name):
        return self._target().exists(name)

    def size(self, name):
        return self._target().size(name)

    def path(self, name):
        return self._target().path(name)

    def url(self, name):
        raise ValueError(f"{self.alias} files have no URL; a view serves them to those allowed")

    def listdir(self, path):
        return self._target().listdir(path)

    def generate_filename(self, filename):
        return self._target().generate_filename(filename)


AGREEMENT_STORAGE = LookupStorage("agreements")


def agreement_storage():
    return AGREEMENT_STORAGE
