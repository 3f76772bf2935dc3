from rest_framework import viewsets

from bench.peer.intakes.models import Intake
from bench.peer.intakes.serializers import IntakeSerializer


class IntakeViewSet(viewsets.ModelViewSet):
    queryset = Intake.objects.select_related("patient").order_by("-created")
    serializer_class = IntakeSerializer
