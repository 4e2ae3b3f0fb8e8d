"""Django REST framework viewsets of the helpdesk API."""

from __future__ import annotations

from rest_framework import mixins, permissions, viewsets
from rest_framework.pagination import LimitOffsetPagination

from helpdesk.models import Queue, Ticket
from helpdesk.serializers import QueueSerializer, TicketSerializer


class TicketPages(LimitOffsetPagination):
    default_limit = 25
    max_limit = 100


class TicketViewSet(viewsets.ModelViewSet):
    serializer_class = TicketSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = TicketPages

    def get_queryset(self):
        return (
            Ticket.objects.filter(queue__members=self.request.user)
            .select_related("queue", "assignee")
            .order_by("-updated_at")
        )

    def perform_create(self, serializer):
        serializer.save(reporter=self.request.user)


class QueueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # expect: RB501
    serializer_class = QueueSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return Queue.objects.filter(members=self.request.user).order_by("name")
