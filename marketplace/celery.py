"""Celery application: used when TASKS_MODE is ``celery`` (REDIS_URL set).

Run a worker with ``.venv/bin/celery -A marketplace worker -l info``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
