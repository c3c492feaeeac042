"""Small real files of every kind, made here (no fixtures on disk)."""

from __future__ import annotations

import io
import struct
import wave
import zipfile
import zlib
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms

# Where the "photo" was taken: it must not survive the upload.
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (31.0, 14.0, 22.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (121.0, 28.0, 41.0),
}
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description secret="xmp-secret"/></x:xmpmeta>'
RED, BLUE = (220, 20, 20), (20, 20, 220)


def two_colour(size: tuple[int, int] = (60, 40)) -> Image.Image:
    """Left half red, right half blue: shows where the image's left edge ended up."""
    img = Image.new("RGB", size, RED)
    img.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return img


def jpeg(
    size: tuple[int, int] = (60, 40),
    *,
    orientation: int | None = None,
    gps: bool = False,
    metadata: bool = False,
) -> bytes:
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        exif[ExifTags.IFD.GPSInfo] = GPS
    extra = {}
    if metadata:
        exif[ExifTags.Base.Make] = "AnquanCam"
        exif[ExifTags.Base.Model] = "Model-X"
        extra = {
            "xmp": XMP,
            "icc_profile": ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
            "comment": b"jpeg-comment-secret",
        }
    out = io.BytesIO()
    two_colour(size).save(out, format="JPEG", quality=95, exif=exif.tobytes(), **extra)
    return out.getvalue()


def png(size: tuple[int, int] = (32, 24), *, alpha: bool = False) -> bytes:
    img = Image.new("RGBA" if alpha else "RGB", size, (10, 120, 10, 128) if alpha else (10, 120, 10))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def webp(size: tuple[int, int] = (32, 24)) -> bytes:
    out = io.BytesIO()
    two_colour(size).save(out, format="WEBP")
    return out.getvalue()


def heic(size: tuple[int, int] = (64, 48)) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    two_colour(size).save(out, format="HEIF")
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a huge canvas in a few bytes (a decompression bomb's calling card)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def pdf() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(out, format="PDF")
    return out.getvalue()


def wav(frames: int = 800) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x01" * frames)
    return out.getvalue()


def zip_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("payload.txt", "not a photo")
    return out.getvalue()


MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 400
M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom\x00\x00\x00\x00" + b"\x00" * 200
AAC = b"\xff\xf1\x50\x80" + b"\x00" * 200
OGG = b"OggS\x00\x02" + b"\x00" * 200
AMR = b"#!AMR\n" + b"\x00" * 200
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 200
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 200
WEBM = (
    bytes.fromhex("1A45DFA3 9F 4286 81 01 42F7 81 01 42F2 81 04 42F3 81 08 4282 84")
    + b"webm"
    + bytes.fromhex("4287 81 04 4285 81 02")
    + b"\x00" * 200
)
EXE = b"MZ" + b"\x90\x00" * 200
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    """An upload as the browser sends it; the claimed name and content type are the client's word only."""
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files(root: Path) -> list[str]:
    """The files in the local storage, relative to its root, sorted."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
