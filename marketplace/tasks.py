"""Background work. ``enqueue`` is the one place that decides how a task runs.

``settings.TASKS_MODE``:
  * ``celery`` – sent to a Celery worker through Redis (default when ``REDIS_URL`` is set);
  * ``thread`` – run in a background thread of this process (the embedded default, so
    ``make demo`` needs nothing else running);
  * ``eager``  – run at once in the caller (tests and scripts).

Tasks are ordinary Celery tasks (``@shared_task``) so the same function runs in every mode.
Call ``enqueue_on_commit`` from actions: the task only starts once the change is committed.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from django.conf import settings
from django.db import close_old_connections, transaction

logger = logging.getLogger(__name__)
_executor: ThreadPoolExecutor | None = None


def _thread_pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="patentbridge-task")
    return _executor


def _run_in_thread(task, args, kwargs):
    close_old_connections()
    try:
        task.run(*args, **kwargs)
    except Exception:  # a background failure must be visible in the log, not swallowed
        logger.exception("background task %s failed", task.name)
    finally:
        close_old_connections()


def enqueue(task, *args, **kwargs):
    mode = settings.TASKS_MODE
    if mode == "celery":
        return task.apply_async(args=args, kwargs=kwargs)
    if mode == "thread":
        return _thread_pool().submit(_run_in_thread, task, args, kwargs)
    return task.run(*args, **kwargs)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    transaction.on_commit(partial(enqueue, task, *args, **kwargs))
