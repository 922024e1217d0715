"""Dossier browser (D1): dossiers per partner and category with counts and sizes; file attachments in them."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from litestar import MediaType, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, MultipartBody, URLEncodedBody
from litestar.response import Redirect, Template

from crm_gateway.ui.api import ApiClient, ApiError, together
from crm_gateway.ui.forms import text as _text
from crm_gateway.ui.i18n import N_
from crm_gateway.ui.pickers import names_of, partner_choice

Form = URLEncodedBody[dict[str, Any]]
Multipart = MultipartBody[dict[str, Any]]
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


async def _browser(
    api: ApiClient,
    *,
    partner_id: str | None,
    category: str | None,
    offset: int = 0,
    error: ApiError | None = None,
    form: dict[str, Any] | None = None,
) -> Template:
    params = {"partner_id": partner_id, "category": category, "limit": 50, "offset": max(offset, 0)}
    page, categories, filter_partner, form_partner = await together(
        api.get("/api/dossiers", params=params),
        api.get("/api/dossiers/categories", params={"partner_id": partner_id}),
        partner_choice(api, partner_id),
        partner_choice(api, (form or {}).get("partner_id")),
    )
    return Template(
        "dossiers/list.html",
        context={
            "page": page,
            "partner_names": await names_of(api, "/api/partners", (d.get("partner_id") for d in page["items"])),
            "categories": categories["items"],
            "filter_partner": filter_partner,
            "form_partner": form_partner,
            "partner_id": partner_id or "",
            "category": category or "",
            "offset": max(offset, 0),
            "error": error,
            "form": form or {},
        },
        status_code=error.status if error else 200,
    )


@get("/dossiers", include_in_schema=False)
async def dossier_list(
    api: NamedDependency[ApiClient],
    partner_id: FromQuery[str | None] = None,
    category: FromQuery[str | None] = None,
    offset: FromQuery[int] = 0,
) -> Template:
    """Dossiers per partner and category, with the number of documents and their total size."""
    return await _browser(api, partner_id=partner_id or None, category=category or None, offset=offset)


@post("/dossiers", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def dossier_create(api: NamedDependency[ApiClient], data: Form) -> Any:
    body = {
        "name": _text(data, "name") or "",
        "category": _text(data, "category"),
        "partner_id": _text(data, "partner_id"),
    }
    try:
        created = await api.post("/api/dossiers", json=body)
    except ApiError as exc:
        return await _browser(api, partner_id=None, category=None, error=exc, form=data)
    return Redirect(f"/dossiers/{created['id']}", status_code=303)


async def _dossier_page(api: ApiClient, dossier_id: UUID, error: ApiError | None = None) -> Template:
    dossier = await api.get(f"/api/dossiers/{dossier_id}")
    partner = None
    if dossier.get("partner_id"):
        try:
            partner = await api.get(f"/api/partners/{dossier['partner_id']}")
        except ApiError:
            partner = None
    return Template(
        "dossiers/detail.html",
        context={"dossier": dossier, "partner": partner, "error": error},
        status_code=error.status if error else 200,
    )


@get("/dossiers/{dossier_id:uuid}", include_in_schema=False)
async def dossier_detail(api: NamedDependency[ApiClient], dossier_id: FromPath[UUID]) -> Template:
    """A dossier's documents, with the form to file one (an upload; stored ones are filed from their pages)."""
    return await _dossier_page(api, dossier_id)


@post("/dossiers/{dossier_id:uuid}/documents", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def dossier_file(api: NamedDependency[ApiClient], dossier_id: FromPath[UUID], data: Multipart) -> Any:
    upload = data.get("file")
    sha256 = (_text(data, "sha256") or "").lower()
    file_name = _text(data, "file_name")
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            content = await upload.read()
            blob = await api.post(
                "/api/blobs",
                files={"data": (upload.filename, content, upload.content_type or "application/octet-stream")},
            )
            sha256, file_name = blob["sha256"], file_name or upload.filename
        if not _SHA256.match(sha256):
            raise ApiError(422, N_("Alegeți un fișier."))
        await api.post(
            f"/api/dossiers/{dossier_id}/documents",
            json={
                "sha256": sha256,
                "file_name": file_name or sha256[:12],
                "source_type": _text(data, "source_type"),
                "source_id": _text(data, "source_id"),
            },
        )
    except ApiError as exc:
        return await _dossier_page(api, dossier_id, error=exc)
    return Redirect(f"/dossiers/{dossier_id}", status_code=303)


async def _document_printout(api: ApiClient, document_id: str) -> tuple[str, str, str]:
    """The sha256, file name and type of a document's printout; one not stored yet is rendered and stored now."""
    try:
        doc = await api.get(f"/api/documents/{UUID(document_id)}")
    except ValueError:
        raise ApiError(422, N_("Documentul ales nu există.")) from None
    sha256 = doc.get("printout_sha256")
    file_name = f"{doc['number']}.pdf".replace("/", "-")
    if not sha256:
        if not doc.get("printout_url"):
            raise ApiError(422, N_("Documentul nu are încă o tipăritură."))
        # An invoice's printout answers before the worker has stored it: store the same PDF as a blob.
        pdf = await api.request("GET", f"/api/documents/{doc['id']}/printout")
        blob = await api.post("/api/blobs", files={"data": (file_name, pdf.content, "application/pdf")})
        sha256 = blob["sha256"]
    return str(sha256), file_name, str(doc["type"])


@post("/dossiers/file", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def file_in_dossier(api: NamedDependency[ApiClient], data: Form) -> Any:
    """D1 from anywhere: file a shown attachment or a document's printout in the dossier chosen with the picker."""
    try:
        dossier_id = UUID(_text(data, "dossier_id") or "")
    except ValueError:
        raise ApiError(422, N_("Alegeți dosarul din listă.")) from None
    source_type, source_id = _text(data, "source_type"), _text(data, "source_id")
    file_name: str | None
    try:
        if document_id := _text(data, "document_id"):
            sha256, file_name, source_type = await _document_printout(api, document_id)
            source_id = document_id
        else:
            sha256, file_name = (_text(data, "sha256") or "").lower(), _text(data, "file_name")
            if not _SHA256.match(sha256):
                raise ApiError(422, N_("Alegeți un fișier."))
        await api.post(
            f"/api/dossiers/{dossier_id}/documents",
            json={
                "sha256": sha256,
                "file_name": file_name or sha256[:12],
                "source_type": source_type,
                "source_id": source_id,
            },
        )
    except ApiError as exc:
        return await _dossier_page(api, dossier_id, error=exc)
    return Redirect(f"/dossiers/{dossier_id}?filed=1", status_code=303)


routes = [dossier_list, dossier_create, dossier_detail, dossier_file, file_in_dossier]
