"""Celery tasks of the clinic's accounts: thin adapters enqueued after the request commits."""

from celery import shared_task

from .password_reset import password_reset_email_send


@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def password_reset_email(email: str) -> None:
    password_reset_email_send(email=email)
