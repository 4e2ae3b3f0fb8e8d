"""Django views: document uploads and the raw-payload archive endpoint."""

from __future__ import annotations

import csv
import hashlib
import io
import json

from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponseBadRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from documents.models import Contact, Document


@login_required
@require_POST
def upload_document(request):
    upload = request.FILES["document"]
    digest = hashlib.sha256()
    name = default_storage.generate_filename(f"documents/{request.user.pk}/{upload.name}")
    with default_storage.open(name, "wb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            out.write(chunk)
    doc = Document.objects.create(owner=request.user, path=name, sha256=digest.hexdigest(), size=upload.size)
    return JsonResponse({"id": doc.pk}, status=201)


@login_required
@require_POST
def import_contacts(request):
    upload = request.FILES.get("contacts")
    if upload is None:
        return HttpResponseBadRequest("missing file")
    text = upload.read().decode("utf-8-sig")  # expect: RB502
    reader = csv.DictReader(io.StringIO(text))
    contacts = [Contact(owner=request.user, name=row["name"], email=row["email"]) for row in reader]
    Contact.objects.bulk_create(contacts, batch_size=1000)
    return JsonResponse({"imported": len(contacts)})


@csrf_exempt
@require_POST
def archive_payload(request, source: str):
    payload = request.body  # expect: RB502
    name = f"payloads/{source}/{hashlib.sha1(payload).hexdigest()}.bin"
    default_storage.save(name, ContentFile(payload))
    return JsonResponse({"stored": name}, status=202)


@csrf_exempt
@require_POST
def delivery_status(request):
    event = json.loads(request.body)
    Document.objects.filter(pk=event["document_id"]).update(delivery_status=event["status"])
    return JsonResponse({"ok": True})
