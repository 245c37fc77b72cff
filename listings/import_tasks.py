"""Background task of the web upload: run one ``ImportJob`` (see ``listings.importer``).

Enqueued by ``importer.create_import_job`` through ``marketplace.tasks.enqueue_on_commit``, so it
runs in a Celery worker, a background thread or at once, as ``settings.TASKS_MODE`` says.
"""

from celery import shared_task


@shared_task(name="listings.run_import_job")
def run_import_job(job_id: int) -> None:
    from listings import importer

    importer.run_import_job(job_id)
