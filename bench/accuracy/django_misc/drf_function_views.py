"""Django REST framework function views of the notes API."""

from __future__ import annotations

from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from notes.models import Note
from notes.serializers import NoteSerializer


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def my_notes(request):
    notes = Note.objects.filter(owner=request.user).order_by("-updated_at")
    serializer = NoteSerializer(notes, many=True)  # expect: RB501
    return Response(serializer.data)


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def shared_notes(request):
    paginator = PageNumberPagination()
    paginator.page_size = 30
    notes = Note.objects.filter(shared_with=request.user).select_related("owner").order_by("-updated_at")
    page = paginator.paginate_queryset(notes, request)
    return paginator.get_paginated_response(NoteSerializer(page, many=True).data)


@api_view(["POST"])
@permission_classes([IsAuthenticated])
def notes_by_ids(request):
    ids = [int(i) for i in request.data.get("ids", [])][:100]
    notes = Note.objects.filter(owner=request.user, pk__in=ids)
    return Response(NoteSerializer(notes, many=True).data)


@api_view(["POST"])
@permission_classes([IsAuthenticated])
def create_note(request):
    serializer = NoteSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    serializer.save(owner=request.user)
    return Response(serializer.data, status=status.HTTP_201_CREATED)


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def pinned_notes(request):
    notes = Note.objects.filter(owner=request.user, pinned=True).order_by("-updated_at")[:10]
    return Response(NoteSerializer(notes, many=True).data)
