import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flexion.settings")

app = Celery("flexion")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The pain-alert task lives with the code that enqueues it (patients/alerts.py).
app.autodiscover_tasks(related_name="alerts")
