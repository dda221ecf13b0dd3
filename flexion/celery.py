import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flexion.settings")

app = Celery("flexion")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Tasks live beside the code that enqueues them: each app's tasks module, the pain alert
# (patients/alerts.py), the account emails (patients/ and clinic/invitations.py,
# clinic/password_reset.py), the message notices (patients/messages.py).
for module in ("tasks", "alerts", "invitations", "messages", "password_reset"):
    app.autodiscover_tasks(related_name=module)
