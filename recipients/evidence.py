"""Evidence files (decrees, photos, handover records) checked by what they are, not by their
first bytes.

A file is accepted only when its name's type and its content agree and the content decodes as
that type all the way: a PDF that pypdf reads with at least one page, a PNG or JPEG that Pillow
decodes completely. A file that also carries markup a browser would run — ``%PDF`` followed by
HTML, a PNG with HTML appended (a polyglot) — is refused whatever its magic says. Downloads are
served as attachments with ``nosniff`` anyway; this keeps such files out in the first place.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

log = logging.getLogger(__name__)

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
ALLOWED = (PDF, JPEG, PNG)
IMAGES = (JPEG, PNG)
PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG"}
# Markup a browser would render or run, anywhere in the file.
MARKUP = re.compile(rb"<\s*(?:html|script|svg|iframe|body|!doctype|\?xml)|javascript:", re.IGNORECASE)
# Active content inside a PDF: scripts, launching programs, embedded files.
PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFile|RichMedia)\b")
MAX_PIXELS = 50_000_000  # a 50-megapixel photo; more is a decompression bomb, not evidence


def _decodes(data: bytes, content_type: str) -> bool:
    if content_type == PDF:
        try:
            return len(PdfReader(io.BytesIO(data), strict=True).pages) > 0
        except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError):
            return False
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != PILLOW_FORMATS[content_type] or image.width * image.height > MAX_PIXELS:
                return False
            image.load()  # every pixel decoded: a truncated or forged body fails here
        return True
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False


def check(upload, *, images_only: bool = False) -> str:
    """The content type of an upload that really is a PDF, JPEG or PNG (only JPEG or PNG with
    ``images_only``) within the size limit; ``ValidationError`` naming the file otherwise."""
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise ValidationError(
            {"evidence": _("Berkas %(name)s terlalu besar (maksimal %(mb)s MB).")
             % {"name": upload.name, "mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024)}})
    allowed = IMAGES if images_only else ALLOWED
    refused = (_("Foto %(name)s bukan gambar JPEG atau PNG yang utuh.") if images_only
               else _("Berkas %(name)s bukan PDF, JPEG atau PNG yang utuh.")) % {"name": upload.name}
    content_type = mimetypes.guess_type(upload.name)[0]
    if content_type not in allowed:
        raise ValidationError({"evidence": refused})
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if MARKUP.search(data) or (content_type == PDF and PDF_ACTIVE.search(data)) or not _decodes(data, content_type):
        log.info("evidence refused: %s (%s, %s bytes)", upload.name, content_type, len(data))
        raise ValidationError({"evidence": refused})
    return content_type
