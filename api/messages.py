"""The thread between a patient and their clinic: list it, write to it."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from patients.messages import message_send
from patients.models import MAX_MESSAGE_LENGTH, Message, Patient

from .base import IdFilter, ScopedReadOnlyViewSet, ScopedRelatedField
from .errors import validation_error
from .permissions import is_patient

READ = ("list", "retrieve")


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "patient", "from_patient", "body", "session", "created_at", "read_at"]
        read_only_fields = fields


class MessageCreateSerializer(serializers.Serializer):
    patient = ScopedRelatedField(
        queryset=Patient.objects.all(),
        required=False,
        help_text="Staff: the patient whose thread this is. Patients write to their own.",
    )
    body = serializers.CharField(max_length=MAX_MESSAGE_LENGTH)


class MessageFilter(django_filters.FilterSet):
    patient = IdFilter("patient")

    class Meta:
        model = Message
        fields = ["patient", "from_patient"]


class MessageViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Messages between patients and their clinic's therapists, oldest first.

    A patient reads and writes their own thread; staff read their clinic's threads and
    write to a patient's. Reading through the API marks nothing as read.
    """

    queryset = Message.objects.none()
    serializer_class = MessageSerializer
    filterset_class = MessageFilter
    ordering_fields = ["created_at"]
    ordering = ["created_at", "id"]
    patient_actions = (*READ, "create")

    def get_serializer_class(self):
        return MessageCreateSerializer if self.action == "create" else MessageSerializer

    @extend_schema(request=MessageCreateSerializer, responses={201: MessageSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        from_patient = is_patient(request.user)
        patient = request.user.patient if from_patient else data.get("patient")
        if patient is None:
            raise serializers.ValidationError({"patient": ["This field is required."]})
        try:
            message = message_send(
                patient=patient,
                author=request.user,
                body=data["body"],
                from_patient=from_patient,
                request=request,
            )
        except DjangoValidationError as error:
            raise validation_error(DjangoValidationError({"body": error.messages})) from error
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)
