"""Background work of the import engine (django-tasks; the database backend's worker runs it)."""

from django_tasks import task


@task()
def run_import(job_id: int, commit: bool) -> str:
    """Check (commit=False) or write (commit=True) an import job; progress goes to the job row."""
    from .services import run_job

    return run_job(job_id=job_id, commit=commit).status
