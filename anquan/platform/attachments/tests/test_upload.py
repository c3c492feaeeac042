"""store_upload: the type comes from the content, limits per kind, photos cleaned, refusals explained."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from anquan.platform.attachments import processing
from anquan.platform.attachments.models import Attachment
from anquan.platform.attachments.services import store_upload
from anquan.platform.attachments.tests import samples
from anquan.platform.attachments.tests.samples import stored_files, upload
from anquan.platform.models import AuditEntry

pytestmark = pytest.mark.django_db

SUPPORTED = "可上传照片（JPEG、PNG、WebP、HEIC）、录音（MP3、M4A、AAC、WAV、OGG、AMR）、视频（MP4、MOV、WebM）或 PDF 文档。"


def refusal(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return exc.value.message_dict["file"]


def stored_image(attachment: Attachment) -> Image.Image:
    with attachment.file.open("rb") as f:
        data = f.read()
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def assert_nothing_stored(media: Path, before_rows: int, before_audit: int) -> None:
    assert stored_files(media) == []
    assert Attachment.objects.count() == before_rows
    assert AuditEntry.objects.count() == before_audit


# --- the type comes from the content -----------------------------------------------------------
def test_a_pdf_named_like_a_photo_is_stored_as_a_pdf(world: Any, media: Path) -> None:
    tank, leader = world.equipment["T-101"], world.user("leader_a1")
    data = samples.pdf()

    att = store_upload(leader, tank, upload("photo.jpg", data, "image/jpeg"), "铭牌说明书")

    att.refresh_from_db()
    assert (att.kind, att.content_type, att.original_name, att.download_name) == (
        "pdf",
        "application/pdf",
        "photo.jpg",
        "photo.pdf",
    )
    assert (att.size, att.width, att.height, att.description) == (len(data), None, None, "铭牌说明书")
    assert att.file.name.startswith("attachments/") and att.file.name.endswith(".pdf")
    assert stored_files(media) == [att.file.name]
    assert (media / att.file.name).read_bytes() == data
    assert att.owner == tank
    assert (att.site_id, att.uploaded_by) == (world.site_a.pk, leader)


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (samples.EXE, "不支持的文件类型：文件内容是 EXE（application/x-msdownload），与文件名无关。"),
        (samples.zip_archive(), "不支持的文件类型：文件内容是 ZIP（application/zip），与文件名无关。"),
        (samples.GIF, "不支持的文件类型：文件内容是 GIF（image/gif），与文件名无关。"),
        (samples.HTML, "无法识别的文件类型（按文件内容判断，与文件名无关）。"),
    ],
    ids=["exe", "zip", "gif", "html"],
)
def test_other_content_named_jpg_is_refused_naming_what_it_is(
    world: Any, media: Path, data: bytes, detected: str
) -> None:
    rows, entries = Attachment.objects.count(), AuditEntry.objects.count()

    with pytest.raises(ValidationError) as exc:
        store_upload(world.user("leader_a1"), world.equipment["T-101"], upload("photo.jpg", data))

    assert refusal(exc) == [detected + SUPPORTED]
    assert exc.value.error_dict["file"][0].code == "unsupported"
    assert_nothing_stored(media, rows, entries)


@pytest.mark.parametrize(
    ("data", "kind", "mime", "ext"),
    [
        (samples.wav(), "audio", "audio/wav", "wav"),
        (samples.MP3, "audio", "audio/mpeg", "mp3"),
        (samples.M4A, "audio", "audio/mp4", "m4a"),
        (samples.AAC, "audio", "audio/aac", "aac"),
        (samples.OGG, "audio", "audio/ogg", "ogg"),
        (samples.AMR, "audio", "audio/amr", "amr"),
        (samples.MP4, "video", "video/mp4", "mp4"),
        (samples.MOV, "video", "video/quicktime", "mov"),
        (samples.WEBM, "video", "video/webm", "webm"),
    ],
    ids=["wav", "mp3", "m4a", "aac", "ogg", "amr", "mp4", "mov", "webm"],
)
def test_recordings_and_videos_are_kept_as_uploaded(
    world: Any, media: Path, data: bytes, kind: str, mime: str, ext: str
) -> None:
    att = store_upload(
        world.user("leader_a1"), world.equipment["T-101"], upload("clip.bin", data, "text/plain")
    )

    assert (att.kind, att.content_type, att.extension, att.download_name) == (kind, mime, ext, f"clip.{ext}")
    assert (media / att.file.name).read_bytes() == data
    assert att.size == len(data)
    assert att.sha256 == hashlib.sha256(data).hexdigest()


def test_an_empty_file_is_refused(world: Any, media: Path) -> None:
    with pytest.raises(ValidationError) as exc:
        store_upload(world.user("leader_a1"), world.equipment["T-101"], upload("empty.jpg", b""))
    assert refusal(exc) == ["文件是空的（0 字节），请重新选择文件。"]
    assert stored_files(media) == []


def test_no_file_at_all_is_refused(world: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        store_upload(world.user("leader_a1"), world.equipment["T-101"], None)
    assert refusal(exc) == ["请选择要上传的文件。"]


def test_a_too_long_description_is_refused(world: Any, media: Path) -> None:
    with pytest.raises(ValidationError) as exc:
        store_upload(
            world.user("leader_a1"), world.equipment["T-101"], upload("a.pdf", samples.pdf()), "长" * 501
        )
    assert exc.value.message_dict == {"description": ["说明最多 500 个字符。"]}
    assert stored_files(media) == []


# --- size limits per kind ----------------------------------------------------------------------
def test_each_kind_has_its_own_size_limit(world: Any, media: Path, settings: Any) -> None:
    # 1 KiB for PDFs and video, 4 KiB for audio and images
    settings.ATTACHMENT_MAX_MB = {"image": 4 / 1024, "audio": 4 / 1024, "video": 1 / 1024, "pdf": 1 / 1024}
    leader, tank = world.user("leader_a1"), world.equipment["T-101"]
    pdf, wav = samples.pdf(), samples.wav(frames=1000)  # ~1.5 KiB and ~2 KiB
    assert 1024 < len(pdf) < 4096 and 1024 < len(wav) < 4096

    with pytest.raises(ValidationError) as exc:
        store_upload(leader, tank, upload("manual.pdf", pdf))
    # (filesizeformat keeps number and unit together with a no-break space)
    assert refusal(exc) == [f"文件过大：PDF 文档最大 1.0\xa0KB，此文件为 {len(pdf) / 1024:.1f}\xa0KB。"]
    assert exc.value.error_dict["file"][0].code == "too_large"
    assert stored_files(media) == []

    att = store_upload(leader, tank, upload("voice.wav", wav))  # the same size is fine for audio
    assert att.kind == "audio"

    big_video = samples.MP4 + b"\x00" * 2000
    with pytest.raises(ValidationError) as exc:
        store_upload(leader, tank, upload("v.mp4", big_video))
    assert refusal(exc) == ["文件过大：视频最大 1.0\xa0KB，此文件为 2.2\xa0KB。"]
    assert stored_files(media) == [att.file.name]


def test_the_image_limit_applies_to_the_upload_not_the_reencoded_file(
    world: Any, media: Path, settings: Any
) -> None:
    settings.ATTACHMENT_MAX_MB = {"image": 1 / 1024, "audio": 1, "video": 1, "pdf": 1}
    photo = samples.jpeg((120, 90), metadata=True)
    assert len(photo) > 1024

    with pytest.raises(ValidationError) as exc:
        store_upload(world.user("leader_a1"), world.equipment["T-101"], upload("p.jpg", photo))

    assert refusal(exc) == [f"文件过大：图片最大 1.0\xa0KB，此文件为 {len(photo) / 1024:.1f}\xa0KB。"]
    assert stored_files(media) == []


# --- photos are cleaned ------------------------------------------------------------------------
def test_exif_with_gps_xmp_icc_and_comments_are_removed(world: Any, media: Path) -> None:
    original = samples.jpeg((60, 40), gps=True, metadata=True)
    source = Image.open(io.BytesIO(original))
    assert source.getexif().get_ifd(0x8825)  # the upload does carry GPS …
    assert {"exif", "xmp", "icc_profile", "comment"} <= set(source.info)

    att = store_upload(world.user("leader_a1"), world.equipment["T-101"], upload("IMG_0001.JPG", original))

    raw = (media / att.file.name).read_bytes()
    img = stored_image(att)
    assert (att.kind, att.content_type, att.extension, att.download_name) == (
        "image",
        "image/jpeg",
        "jpg",
        "IMG_0001.jpg",
    )
    assert dict(img.getexif()) == {}
    assert img.getexif().get_ifd(0x8825) == {}
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(img.info)
    for secret in (b"Exif\x00\x00", b"AnquanCam", b"xmp-secret", b"jpeg-comment-secret", b"ICC_PROFILE"):
        assert secret not in raw
    assert (att.width, att.height, att.size) == (60, 40, len(raw))
    assert att.sha256 == hashlib.sha256(raw).hexdigest()


def test_exif_orientation_is_applied_to_the_pixels(world: Any, media: Path) -> None:
    # Orientation 6: the camera was turned; the picture must be rotated 90° clockwise to be upright,
    # so the stored image is portrait and the original left edge (red) is now at the top.
    att = store_upload(
        world.user("leader_a1"),
        world.equipment["T-101"],
        upload("turned.jpg", samples.jpeg((60, 40), orientation=6)),
    )

    img = stored_image(att).convert("RGB")
    assert img.size == (40, 60) == (att.width, att.height)
    top, bottom = img.getpixel((20, 5)), img.getpixel((20, 55))
    assert top[0] > 150 and top[2] < 100  # red
    assert bottom[2] > 150 and bottom[0] < 100  # blue
    assert dict(img.getexif()) == {}


def test_large_photos_are_scaled_down_to_the_configured_side(world: Any, media: Path, settings: Any) -> None:
    settings.ATTACHMENT_IMAGE_MAX_SIDE = 50
    att = store_upload(
        world.user("leader_a1"), world.equipment["T-101"], upload("big.jpg", samples.jpeg((200, 100)))
    )
    assert stored_image(att).size == (50, 25) == (att.width, att.height)


def test_a_thumbnail_is_stored_beside_the_photo(world: Any, media: Path) -> None:
    att = store_upload(
        world.user("leader_a1"), world.equipment["T-101"], upload("p.png", samples.png((900, 600)))
    )
    assert sorted(stored_files(media)) == sorted([att.file.name, att.thumbnail.name])
    thumb = Image.open(media / att.thumbnail.name)
    assert (thumb.format, thumb.size) == ("JPEG", (480, 320))


def test_png_with_transparency_stays_png_and_opaque_png_becomes_jpeg(world: Any, media: Path) -> None:
    leader, tank = world.user("leader_a1"), world.equipment["T-101"]

    clear = store_upload(leader, tank, upload("overlay.png", samples.png(alpha=True)))
    solid = store_upload(leader, tank, upload("screen.png", samples.png(alpha=False)))

    assert (clear.content_type, clear.extension, stored_image(clear).mode) == ("image/png", "png", "RGBA")
    assert (solid.content_type, solid.extension, stored_image(solid).format) == ("image/jpeg", "jpg", "JPEG")
    assert solid.download_name == "screen.jpg"


def test_webp_is_reencoded(world: Any, media: Path) -> None:
    att = store_upload(world.user("leader_a1"), world.equipment["T-101"], upload("w.webp", samples.webp()))
    assert (att.content_type, stored_image(att).format, att.width, att.height) == (
        "image/jpeg",
        "JPEG",
        32,
        24,
    )


@pytest.mark.skipif(not processing.HEIC_SUPPORTED, reason="pillow-heif is not installed")
def test_heic_photos_are_converted_to_jpeg(world: Any, media: Path) -> None:
    att = store_upload(
        world.user("leader_a1"), world.equipment["T-101"], upload("IMG_0002.HEIC", samples.heic())
    )
    img = stored_image(att)
    assert (att.content_type, img.format, img.size, att.download_name) == (
        "image/jpeg",
        "JPEG",
        (64, 48),
        "IMG_0002.jpg",
    )


def test_without_the_heic_decoder_heic_is_refused_with_advice(
    world: Any, media: Path, monkeypatch: Any
) -> None:
    head = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 100
    monkeypatch.setattr(processing, "HEIC_SUPPORTED", False)  # an installation without pillow-heif
    with pytest.raises(ValidationError) as exc:
        store_upload(world.user("leader_a1"), world.equipment["T-101"], upload("IMG.HEIC", head))
    assert refusal(exc) == [
        "服务器未安装 HEIC 照片解码组件，无法保存此照片。请在手机相机设置中选择“兼容性最佳”（JPEG）格式后重试。"
    ]
    assert stored_files(media) == []


# --- broken photos are refused -----------------------------------------------------------------
@pytest.mark.parametrize(
    "data",
    [
        samples.jpeg((200, 150))[:600],  # cut off in the middle of the scan
        b"\xff\xd8\xff\xe0" + b"\x13\x37" * 300,  # a JPEG signature and then garbage
        samples.png((50, 50))[:-30],  # PNG without its end
    ],
    ids=["truncated-jpeg", "garbage-jpeg", "truncated-png"],
)
def test_corrupt_images_are_refused(world: Any, media: Path, data: bytes) -> None:
    rows, entries = Attachment.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        store_upload(world.user("leader_a1"), world.equipment["T-101"], upload("broken.jpg", data))
    assert refusal(exc) == ["图片已损坏或不完整，无法读取。请重新拍摄或选择原图。"]
    assert exc.value.error_dict["file"][0].code == "corrupt"
    assert_nothing_stored(media, rows, entries)


def test_a_decompression_bomb_is_refused_before_decoding(world: Any, media: Path) -> None:
    bomb = samples.png_header_only(30000, 30000)  # 900 megapixels in 100 bytes
    assert len(bomb) < 200
    with pytest.raises(ValidationError) as exc:
        store_upload(world.user("leader_a1"), world.equipment["T-101"], upload("bomb.png", bomb))
    assert refusal(exc) == ["图片像素过多，拒绝处理。"]
    assert stored_files(media) == []


def test_the_pixel_limit_is_configurable(world: Any, media: Path, settings: Any) -> None:
    settings.ATTACHMENT_IMAGE_MAX_PIXELS = 1000
    with pytest.raises(ValidationError) as exc:
        store_upload(
            world.user("leader_a1"), world.equipment["T-101"], upload("p.png", samples.png((50, 40)))
        )
    assert refusal(exc) == ["图片像素过多（50 × 40），最多允许 0.001 百万像素。"]
    assert exc.value.error_dict["file"][0].code == "too_many_pixels"


# --- names -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\张三\\现场照片 1.jpg", "现场照片 1.jpg"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # right-to-left override dropped
        ('a<b>:"c"|?*.pdf', "a_b___c____.pdf"),
        ("  .hidden.pdf ", "hidden.pdf"),
        ("", "附件"),
        ("x" * 300 + ".pdf", "x" * 146 + ".pdf"),
    ],
)
def test_clean_filename(given: str, kept: str) -> None:
    assert processing.clean_filename(given) == kept
