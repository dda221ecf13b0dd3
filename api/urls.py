from django.urls import path
from rest_framework.routers import DefaultRouter

from . import messages, outcomes, patients, programs, reports

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("exercises", programs.ExerciseViewSet, basename="exercise")
router.register("programs", programs.ProgramViewSet, basename="program")
router.register("program-items", programs.ProgramItemViewSet, basename="programitem")
router.register("patients", patients.PatientViewSet, basename="patient")
router.register("assignments", patients.AssignmentViewSet, basename="assignment")
router.register("sessions", patients.SessionViewSet, basename="session")
router.register("checkins", patients.CheckInViewSet, basename="checkin")
router.register("reminders", patients.ReminderViewSet, basename="reminder")
router.register("messages", messages.MessageViewSet, basename="message")
router.register("questionnaires", outcomes.QuestionnaireViewSet, basename="questionnaire")
router.register("outcome-responses", outcomes.OutcomeResponseViewSet, basename="outcomeresponse")

app_name = "api"
urlpatterns = [
    *router.urls,
    path("reports/adherence/", reports.AdherenceReportView.as_view(), name="adherence-report"),
]
