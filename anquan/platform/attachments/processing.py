"""What an upload really is, and how a photo is made safe to keep.

The type comes from the content (``filetype`` reads the magic bytes), never from the file name or
the content type the client claims. Photos are decoded and re-encoded: orientation applied, colours
converted to sRGB, every piece of metadata (EXIF with GPS, XMP, ICC, comments) dropped, size capped.
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, Any

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps

from anquan.platform.attachments.models import AttachmentKind

try:  # HEIC/HEIF photos (iPhone) decode only with the pillow-heif plug-in installed.
    from pillow_heif import register_heif_opener
except ImportError:  # pragma: no cover - depends on the installation
    HEIC_SUPPORTED = False
else:
    register_heif_opener()
    HEIC_SUPPORTED = True

SNIFF_BYTES = 8192  # what filetype reads at most
DEFAULT_MAX_SIDE = 4096  # settings.ATTACHMENT_IMAGE_MAX_SIDE
DEFAULT_MAX_PIXELS = 120_000_000  # settings.ATTACHMENT_IMAGE_MAX_PIXELS (a 108 MP phone photo passes)
JPEG_QUALITY = 88
THUMBNAIL_SIDE = 480
THUMBNAIL_QUALITY = 80


@dataclass(frozen=True)
class FileType:
    kind: str
    mime: str  # the type served on download
    extension: str  # the extension of the stored file
    label: str
    pillow_format: str = ""  # images: the only decoder Pillow may use


# MIME as filetype names it -> what we accept it as.
ACCEPTED: dict[str, FileType] = {
    "image/jpeg": FileType(AttachmentKind.IMAGE, "image/jpeg", "jpg", "JPEG", "JPEG"),
    "image/png": FileType(AttachmentKind.IMAGE, "image/png", "png", "PNG", "PNG"),
    "image/webp": FileType(AttachmentKind.IMAGE, "image/webp", "webp", "WebP", "WEBP"),
    "image/heic": FileType(AttachmentKind.IMAGE, "image/heic", "heic", "HEIC", "HEIF"),
    "audio/mpeg": FileType(AttachmentKind.AUDIO, "audio/mpeg", "mp3", "MP3"),
    "audio/mp4": FileType(AttachmentKind.AUDIO, "audio/mp4", "m4a", "M4A"),
    "audio/aac": FileType(AttachmentKind.AUDIO, "audio/aac", "aac", "AAC"),
    "audio/x-wav": FileType(AttachmentKind.AUDIO, "audio/wav", "wav", "WAV"),
    "audio/ogg": FileType(AttachmentKind.AUDIO, "audio/ogg", "ogg", "OGG"),
    "audio/amr": FileType(AttachmentKind.AUDIO, "audio/amr", "amr", "AMR"),
    "video/mp4": FileType(AttachmentKind.VIDEO, "video/mp4", "mp4", "MP4"),
    "video/x-m4v": FileType(AttachmentKind.VIDEO, "video/x-m4v", "m4v", "M4V"),
    "video/quicktime": FileType(AttachmentKind.VIDEO, "video/quicktime", "mov", "MOV"),
    "video/webm": FileType(AttachmentKind.VIDEO, "video/webm", "webm", "WebM"),
    "application/pdf": FileType(AttachmentKind.PDF, "application/pdf", "pdf", "PDF"),
}

# What a phone's file picker should offer (the server decides by content all the same).
ACCEPT_ATTRIBUTE = "image/*,audio/*,video/*,application/pdf"


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError({"file": [ValidationError(message, code=code)]})


def accepted_summary() -> str:
    return _(
        "可上传照片（JPEG、PNG、WebP、HEIC）、录音（MP3、M4A、AAC、WAV、OGG、AMR）、"
        "视频（MP4、MOV、WebM）或 PDF 文档。"
    )


def kind_label(kind: str) -> str:
    return str(AttachmentKind(kind).label)


# --- names -----------------------------------------------------------------------------------
_UNSAFE = re.compile(r'[<>:"/\\|?*;\x00-\x1f\x7f]')


def clean_filename(name: str | None, limit: int = 150) -> str:
    """The last path component, without control, format (e.g. RTL override) or shell-special characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" .")
    if len(name) > limit:
        path = PurePosixPath(name)
        suffix = path.suffix[:16]
        name = path.stem[: limit - len(suffix)] + suffix
    return name or str(_("附件"))


# --- sniffing --------------------------------------------------------------------------------
def read_head(stream: IO[bytes]) -> bytes:
    stream.seek(0)
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    return head


def sniff(head: bytes) -> FileType:
    """The accepted type of content starting with ``head``; ValidationError when it is not accepted."""
    if not head:
        raise _refuse(_("文件是空的（0 字节），请重新选择文件。"), "empty")
    guess = filetype.guess(head)
    if guess is None:
        raise _refuse(
            _("无法识别的文件类型（按文件内容判断，与文件名无关）。") + accepted_summary(), "unsupported"
        )
    accepted = ACCEPTED.get(guess.mime)
    if accepted is None:
        raise _refuse(
            _("不支持的文件类型：文件内容是 %(ext)s（%(mime)s），与文件名无关。")
            % {"ext": guess.extension.upper(), "mime": guess.mime}
            + accepted_summary(),
            "unsupported",
        )
    if accepted.pillow_format == "HEIF" and not HEIC_SUPPORTED:
        raise _refuse(
            _(
                "服务器未安装 HEIC 照片解码组件，无法保存此照片。请在手机相机设置中选择“兼容性最佳”（JPEG）格式后重试。"
            ),
            "unsupported",
        )
    return accepted


def max_bytes(kind: str) -> int:
    return int(float(settings.ATTACHMENT_MAX_MB[kind]) * 1024 * 1024)


def check_size(kind: str, size: int) -> None:
    limit = max_bytes(kind)
    if size > limit:
        raise _refuse(
            _("文件过大：%(kind)s最大 %(limit)s，此文件为 %(size)s。")
            % {"kind": kind_label(kind), "limit": filesizeformat(limit), "size": filesizeformat(size)},
            "too_large",
        )


# --- images ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CleanImage:
    data: bytes
    mime: str
    extension: str
    width: int
    height: int
    thumbnail: bytes  # a small JPEG


def _corrupt() -> ValidationError:
    return _refuse(_("图片已损坏或不完整，无法读取。请重新拍摄或选择原图。"), "corrupt")


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info


def _to_srgb(img: Image.Image, alpha: bool) -> Image.Image:
    """Convert to sRGB through the embedded ICC profile (if any), then to RGB or RGBA."""
    icc = img.info.get("icc_profile")
    if icc and img.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            srgb = ImageCms.createProfile("sRGB")
            mode = "RGBA" if alpha and img.mode == "RGBA" else "RGB"
            converted = ImageCms.profileToProfile(img, source, srgb, outputMode=mode)
            if converted is not None:
                img = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: keep the pixels as they are
    return img.convert("RGBA" if alpha else "RGB")


def reencode_image(stream: IO[bytes], accepted: FileType) -> CleanImage:
    """Decode, orient, strip and re-encode a photo; ValidationError if it is corrupt or a pixel bomb."""
    max_side = int(getattr(settings, "ATTACHMENT_IMAGE_MAX_SIDE", DEFAULT_MAX_SIDE))
    max_pixels = int(getattr(settings, "ATTACHMENT_IMAGE_MAX_PIXELS", DEFAULT_MAX_PIXELS))
    stream.seek(0)
    try:
        with warnings.catch_warnings():
            # Our own pixel limit applies below; Pillow's bomb check still stops absurd sizes in open().
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img: Any = Image.open(stream, formats=[accepted.pillow_format])
            width, height = img.size
            if width * height > max_pixels:
                raise _bomb(width, height, max_pixels)
            if accepted.pillow_format == "JPEG":
                img.draft("RGB", (max_side, max_side))  # decode big JPEGs at a reduced scale
            img.load()
            img = ImageOps.exif_transpose(img)
    except ValidationError:
        raise
    except Image.DecompressionBombError as exc:
        raise _refuse(_("图片像素过多，拒绝处理。"), "too_many_pixels") from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, KeyError, TypeError) as exc:
        raise _corrupt() from exc

    alpha = _has_alpha(img)
    img = _to_srgb(img, alpha)
    if alpha and img.getchannel("A").getextrema()[0] == 255:  # an alpha channel nobody uses
        img, alpha = img.convert("RGB"), False
    img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # A fresh image from the raw pixels carries nothing but pixels: no EXIF, GPS, XMP, ICC or comments.
    clean = Image.frombytes(img.mode, img.size, img.tobytes())

    out = io.BytesIO()
    if alpha:
        clean.save(out, format="PNG", optimize=True)
        mime, extension = "image/png", "png"
    else:
        clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        mime, extension = "image/jpeg", "jpg"
    return CleanImage(out.getvalue(), mime, extension, clean.width, clean.height, _thumbnail(clean))


def _bomb(width: int, height: int, max_pixels: int) -> ValidationError:
    return _refuse(
        _("图片像素过多（%(w)d × %(h)d），最多允许 %(max)s 百万像素。")
        % {"w": width, "h": height, "max": f"{max_pixels / 1_000_000:g}"},
        "too_many_pixels",
    )


def _thumbnail(img: Image.Image) -> bytes:
    thumb = img.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    if thumb.mode == "RGBA":
        background = Image.new("RGB", thumb.size, (255, 255, 255))
        background.paste(thumb, mask=thumb.getchannel("A"))
        thumb = background
    out = io.BytesIO()
    thumb.convert("RGB").save(out, format="JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return out.getvalue()
