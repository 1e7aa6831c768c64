"""Image uploads: sniffing, limits, bombs, metadata stripping, orientation, re-encoding."""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from PIL import Image, ImageCms, ImageOps, PngImagePlugin

from aegis.kyc.documents import (
    DocumentKind,
    MediaType,
    ProcessedUpload,
    UploadAnimated,
    UploadBomb,
    UploadCorrupt,
    UploadDimensions,
    UploadEmpty,
    UploadLimits,
    UploadRejected,
    UploadTooLarge,
    UploadTooSmall,
    UploadTypeUnsupported,
    process_upload,
)
from tests.kyc.documents import builders as b

LIMITS = UploadLimits()
PASSPORT = DocumentKind.PASSPORT


def run(
    data: bytes,
    *,
    declared: str | None = None,
    kind: DocumentKind = PASSPORT,
    limits: UploadLimits = LIMITS,
) -> ProcessedUpload:
    return process_upload(data, declared_type=declared, kind=kind, limits=limits)


def reopen(result: ProcessedUpload) -> Image.Image:
    img = Image.open(io.BytesIO(result.content))
    img.load()
    return img


def reject(data: bytes, error: type[UploadRejected], **kwargs: object) -> UploadRejected:
    with pytest.raises(error) as caught:
        run(data, **kwargs)  # type: ignore[arg-type]
    return caught.value


def is_red(pixel: object) -> bool:
    assert isinstance(pixel, tuple)
    r, g, bl = pixel[:3]
    return r > 200 and g < 60 and bl < 60


# ---------------------------------------------------------------------------------------------
# Round trips


@pytest.mark.parametrize(
    ("data", "media", "fmt"),
    [
        (b.jpeg(), MediaType.JPEG, "JPEG"),
        (b.png(), MediaType.PNG, "PNG"),
        (b.webp(quality=90), MediaType.WEBP, "WEBP"),
        (b.webp(lossless=True), MediaType.WEBP, "WEBP"),
    ],
    ids=["jpeg", "png", "webp-lossy", "webp-lossless"],
)
def test_valid_image_round_trips(data: bytes, media: MediaType, fmt: str) -> None:
    result = run(data, declared=media.value)
    assert result.media_type is media
    assert (result.width, result.height) == (400, 300)
    assert result.size == len(result.content)
    assert result.sha256 == hashlib.sha256(result.content).hexdigest()
    assert result.original_sha256 == hashlib.sha256(data).hexdigest()
    assert result.original_size == len(data)
    assert result.declared_type_mismatch is False
    assert result.page_count is None
    assert result.kind is PASSPORT
    assert result.signals.orientation_applied == 1
    assert (result.signals.original_width, result.signals.original_height) == (400, 300)
    out = reopen(result)
    assert out.format == fmt
    assert out.size == (400, 300)
    assert is_red(out.getpixel((5, 5)))
    assert out.getpixel((300, 200))[:3] == pytest.approx((255, 255, 255), abs=3)  # type: ignore[index]


def test_png_is_re_encoded_losslessly() -> None:
    img = Image.effect_noise((320, 320), 60).convert("RGB")
    result = run(b.encode(img, "PNG"))
    assert reopen(result).tobytes() == img.tobytes()


def test_lossless_webp_stays_lossless() -> None:
    img = Image.effect_noise((320, 320), 60).convert("RGB")
    result = run(b.encode(img, "WEBP", lossless=True))
    assert reopen(result).tobytes() == img.tobytes()


def test_lossy_webp_falls_back_to_lossless_when_libwebp_gives_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = b.webp(quality=80)
    save = Image.Image.save

    def flaky_save(self: Image.Image, fp: Any, format: str | None = None, **params: Any) -> None:
        if format == "WEBP" and not params.get("lossless"):
            raise ValueError("encoding error 6")
        save(self, fp, format, **params)

    monkeypatch.setattr(Image.Image, "save", flaky_save)
    result = run(data)
    assert result.content[12:16] == b"VP8L"
    assert result.media_type is MediaType.WEBP


def test_concurrent_uploads_do_not_interfere() -> None:
    inputs = [b.jpeg(exif=b.exif(orientation=6)), b.png(), b.webp(), b.png_declaring(9000, 9000)]
    expected = []
    for data in inputs * 2:
        try:
            expected.append(run(data).sha256)
        except UploadRejected as error:
            expected.append(error.code)

    def one(data: bytes) -> str:
        try:
            return run(data).sha256
        except UploadRejected as error:
            return error.code

    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(5):
            assert list(pool.map(one, inputs * 2)) == expected


def test_content_is_left_out_of_repr() -> None:
    result = run(b.png())
    assert "content" not in repr(result)


def test_cmyk_jpeg_stays_cmyk() -> None:
    result = run(b.encode(b.marked_image(mode="CMYK"), "JPEG"))
    assert reopen(result).mode == "CMYK"


def test_palette_png_with_transparency_keeps_its_alpha() -> None:
    img = b.marked_image().convert("P")
    img.info["transparency"] = img.getpixel((300, 200))
    result = run(b.encode(img, "PNG", transparency=img.info["transparency"]))
    out = reopen(result)
    assert out.mode == "RGBA"
    assert out.getpixel((300, 200))[3] == 0  # type: ignore[index]
    assert out.getpixel((5, 5)) == (255, 0, 0, 255)


def test_sixteen_bit_greyscale_png_is_accepted() -> None:
    img = Image.new("I;16", (320, 320), 40000)
    out = reopen(run(b.encode(img, "PNG")))
    assert out.getpixel((10, 10)) == 40000


# ---------------------------------------------------------------------------------------------
# Metadata: stripped, after the signals are read


def test_exif_is_stripped_orientation_applied_and_signals_kept() -> None:
    meta = b.exif(software="Adobe Photoshop 25.0", orientation=6, gps=True)
    data = b.jpeg(400, 300, exif=meta)
    result = run(data)

    out = reopen(result)
    assert len(out.getexif()) == 0
    assert "exif" not in out.info
    assert b"Exif\x00\x00" not in result.content
    assert b"Photoshop" not in result.content
    # Orientation 6: the camera was turned, the picture must turn 90 degrees clockwise.
    assert (result.width, result.height) == out.size == (300, 400)
    assert is_red(out.getpixel((300 - 5, 5)))
    assert not is_red(out.getpixel((5, 5)))

    signals = result.signals
    assert signals.software == "Adobe Photoshop 25.0"
    assert signals.had_exif is True
    assert signals.had_gps is True
    assert signals.orientation_applied == 6
    assert (signals.original_width, signals.original_height) == (400, 300)
    assert "exif" in signals.metadata_removed
    # The signals carry no coordinates, only the flag.
    assert "48" not in repr(signals)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_matches_pillow_exif_transpose(orientation: int) -> None:
    data = b.png(400, 300, exif=b.exif(orientation=orientation))
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    result = run(data)
    out = reopen(result).convert("RGB")
    assert out.size == expected.size
    assert out.tobytes() == expected.tobytes()
    assert result.signals.orientation_applied == orientation


def test_out_of_range_orientation_is_ignored() -> None:
    result = run(b.jpeg(exif=b.exif(orientation=42)))
    assert result.signals.orientation_applied == 1
    assert (result.width, result.height) == (400, 300)


def test_gps_block_without_a_position_is_not_reported_as_gps() -> None:
    meta = Image.Exif()
    meta[0x8825] = {0: b"\x02\x02\x00\x00"}  # GPSVersionID only: GPS off at capture
    result = run(b.jpeg(exif=meta))
    assert result.signals.had_exif is True
    assert result.signals.had_gps is False


def test_no_metadata_means_no_signals() -> None:
    signals = run(b.png()).signals
    assert signals.software is None
    assert signals.had_exif is False
    assert signals.had_gps is False
    assert signals.metadata_removed == ()


def test_png_text_chunks_and_exif_are_removed() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "GIMP 2.10")
    info.add_text("Comment", "applicant: Jane Doe, 1990-01-01")
    info.add_text("Author", "Jane Doe", zip=True)
    info.add_itxt("Description", "passport scan", lang="en", tkey="Description")
    data = b.png(exif=b.exif(gps=True), pnginfo=info)
    result = run(data)
    out = reopen(result)
    assert getattr(out, "text", {}) == {}
    assert len(out.getexif()) == 0
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"eXIf"):
        assert chunk not in result.content
    assert b"Jane" not in result.content
    assert result.signals.software == "GIMP 2.10"
    assert result.signals.had_gps is True
    assert set(result.signals.metadata_removed) == {"exif", "text"}


def test_jpeg_comment_xmp_and_iptc_are_removed_and_xmp_creator_tool_read() -> None:
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
        b'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Adobe Photoshop 25.0 '
        b'(Windows)" /></rdf:RDF></x:xmpmeta>'
    )
    data = b.jpeg(comment=b"Jane Doe", xmp=xmp)
    # An APP13 "Photoshop 3.0" segment (IPTC), spliced in after SOI.
    iptc = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x0c\x1c\x02\x05\x00\x08Jane Doe"
    data = data[:2] + b"\xff\xed" + (len(iptc) + 2).to_bytes(2, "big") + iptc + data[2:]
    result = run(data)
    out = reopen(result)
    assert "xmp" not in out.info
    assert "comment" not in out.info
    assert "photoshop" not in out.info
    assert b"Jane" not in result.content
    assert b"ns.adobe.com" not in result.content
    assert result.signals.software == "Adobe Photoshop 25.0 (Windows)"
    assert set(result.signals.metadata_removed) == {"comment", "iptc", "xmp"}


def test_webp_exif_and_xmp_are_removed() -> None:
    meta = b.exif(software="Snapseed 2.0", gps=True)
    data = b.webp(exif=meta.tobytes(), xmp=b"<x:xmpmeta>Jane Doe</x:xmpmeta>")
    result = run(data)
    assert b"EXIF" not in result.content
    assert b"XMP " not in result.content
    assert b"Jane" not in result.content
    assert result.signals.software == "Snapseed 2.0"
    assert result.signals.had_gps is True


def test_software_is_sanitised_and_bounded() -> None:
    result = run(b.jpeg(exif=b.exif(software="Evil\x00\x1b[31m Tool " + "x" * 500)))
    software = result.signals.software
    assert software is not None
    assert software.startswith("Evil [31m Tool")
    assert software.isprintable()
    assert len(software) <= 120


def test_valid_icc_profile_is_kept() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    result = run(b.jpeg(icc_profile=icc))
    assert reopen(result).info.get("icc_profile") == icc
    assert "icc_profile" not in result.signals.metadata_removed


def test_malformed_icc_profile_is_dropped() -> None:
    result = run(b.jpeg(icc_profile=b"not a colour profile, maybe a payload" * 10))
    assert "icc_profile" not in reopen(result).info
    assert "icc_profile" in result.signals.metadata_removed


def test_icc_profile_of_another_colour_space_is_dropped() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    grey = b.marked_image().convert("L")
    result = run(b.encode(grey, "PNG", icc_profile=icc))
    assert "icc_profile" not in reopen(result).info


def test_polyglot_jpeg_with_appended_zip_comes_out_clean() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("payload.sh", "#!/bin/sh\necho owned\n")
    data = b.jpeg() + archive.getvalue()
    assert zipfile.is_zipfile(io.BytesIO(data))
    result = run(data)
    assert not zipfile.is_zipfile(io.BytesIO(result.content))
    assert b"PK\x03\x04" not in result.content
    assert b"payload.sh" not in result.content
    assert result.content.endswith(b"\xff\xd9")
    assert result.original_sha256 != result.sha256


def test_mpo_keeps_only_its_primary_image() -> None:
    primary = b.marked_image()
    depth = Image.new("RGB", (400, 300), (0, 0, 255))
    data = b.encode(primary, "MPO", save_all=True, append_images=[depth])
    assert Image.open(io.BytesIO(data)).n_frames == 2  # type: ignore[attr-defined]
    result = run(data)
    out = reopen(result)
    assert out.format == "JPEG"
    assert getattr(out, "n_frames", 1) == 1
    assert is_red(out.getpixel((5, 5)))
    assert "extra_images" in result.signals.metadata_removed


# ---------------------------------------------------------------------------------------------
# Declared type


@pytest.mark.parametrize(
    ("declared", "mismatch"),
    [
        (None, False),
        ("", False),
        ("application/octet-stream", False),
        ("image/png", False),
        ("IMAGE/PNG; charset=binary", False),
        ("image/x-png", False),
        ("image/jpeg", True),
        ("application/pdf", True),
        ("text/html", True),
    ],
)
def test_declared_type_is_never_trusted(declared: str | None, mismatch: bool) -> None:
    result = run(b.png(), declared=declared)
    assert result.media_type is MediaType.PNG
    assert result.declared_type_mismatch is mismatch


def test_jpg_alias_is_not_a_mismatch() -> None:
    assert run(b.jpeg(), declared="image/jpg").declared_type_mismatch is False


def test_declared_image_type_does_not_make_other_bytes_acceptable() -> None:
    error = reject(
        b"<html><script>alert(1)</script></html>", UploadTypeUnsupported, declared="image/png"
    )
    assert error.status == 415


# ---------------------------------------------------------------------------------------------
# Bad files, one error each


def test_empty_file() -> None:
    error = reject(b"", UploadEmpty)
    assert (error.code, error.status) == ("upload-empty", 422)


def test_file_over_the_byte_limit() -> None:
    data = b.jpeg()
    error = reject(data, UploadTooLarge, limits=UploadLimits(max_bytes=len(data) - 1))
    assert (error.code, error.status) == ("upload-too-large", 413)
    run(data, limits=UploadLimits(max_bytes=len(data)))


def test_default_byte_limit_is_fifteen_mebibytes() -> None:
    error = reject(b"\xff\xd8\xff" + bytes(15 * 1024 * 1024), UploadTooLarge)
    assert "15.0 MiB" in error.detail


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b.animated("GIF"), "GIF"),
        (b.encode(b.marked_image(), "BMP"), "BMP"),
        (b.encode(b.marked_image(), "TIFF"), "TIFF"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC"),
        (b"PK\x03\x04rest-of-a-zip", "ZIP"),
    ],
    ids=["gif", "bmp", "tiff", "heic", "zip"],
)
def test_known_unsupported_formats_are_named(data: bytes, name: str) -> None:
    error = reject(data, UploadTypeUnsupported)
    assert (error.code, error.status) == ("upload-type-unsupported", 415)
    assert name in error.detail


def test_unknown_bytes_are_unsupported() -> None:
    error = reject(b"hello, world", UploadTypeUnsupported, declared="image/jpeg")
    assert "JPEG, PNG, WebP or PDF" in error.detail


@pytest.mark.parametrize("cut", [0.5, 0.8, 0.95])
def test_truncated_jpeg_is_corrupt(cut: float) -> None:
    img = Image.effect_noise((400, 300), 80).convert("RGB")
    data = b.encode(img, "JPEG")
    error = reject(data[: int(len(data) * cut)], UploadCorrupt)
    assert (error.code, error.status) == ("upload-corrupt", 422)


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xe0" + b"garbage" * 20,
        b"\x89PNG\r\n\x1a\n" + b"garbage" * 20,
        b"RIFF\x10\x00\x00\x00WEBPVP8 garbage",
        b.png()[:60],
    ],
    ids=["jpeg", "png", "webp", "png-truncated-header"],
)
def test_undecodable_image_is_corrupt(data: bytes) -> None:
    reject(data, UploadCorrupt)


def test_png_with_broken_pixel_data_is_corrupt() -> None:
    data = bytearray(b.encode(Image.effect_noise((400, 300), 80).convert("RGB"), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 40 : idat + 400] = bytes(360)
    reject(bytes(data), UploadCorrupt)


def test_decompression_bomb_is_rejected_from_the_header_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = b.png_declaring(50_000, 50_000)
    assert len(data) < 200

    def no_decoding(self: Image.Image) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", no_decoding)
    started = time.perf_counter()
    error = reject(data, UploadBomb)
    assert time.perf_counter() - started < 0.5
    assert (error.code, error.status) == ("upload-bomb", 422)


def test_bomb_below_pillows_own_guard_is_caught_by_our_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 8000 x 8000 = 64 MP: over our 40 MP, under Pillow's 89 MP warning and 179 MP error.
    data = b.encode(Image.new("1", (8000, 8000)), "PNG")
    assert len(data) < 100_000
    monkeypatch.setattr(
        PngImagePlugin.PngImageFile, "load", lambda self: pytest.fail("pixels were decoded")
    )
    reject(data, UploadBomb)


def test_pillow_global_guard_is_left_alone() -> None:
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(UploadBomb):
        run(b.png_declaring(30_000, 30_000))
    assert before == Image.MAX_IMAGE_PIXELS


def test_honest_but_too_many_pixels_is_a_dimensions_error() -> None:
    img = Image.effect_noise((400, 300), 80).convert("RGB")
    data = b.encode(img, "JPEG")
    error = reject(data, UploadDimensions, limits=UploadLimits(max_pixels=100_000))
    assert (error.code, error.status) == ("upload-dimensions", 422)


def test_too_long_a_side_is_a_dimensions_error() -> None:
    data = b.png(12_001, 300)
    error = reject(data, UploadDimensions)
    assert "12001x300" in error.detail


def test_header_that_declares_zero_pixels_is_corrupt() -> None:
    reject(b.png_declaring(0, 400), UploadCorrupt)


@pytest.mark.parametrize(
    "data",
    [b.animated("WEBP"), b.animated("PNG")],
    ids=["webp", "apng"],
)
def test_animated_images_are_rejected(data: bytes) -> None:
    error = reject(data, UploadAnimated)
    assert (error.code, error.status) == ("upload-animated", 422)


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_animated_images_are_rejected_for_every_kind(kind: DocumentKind) -> None:
    reject(b.animated("PNG"), UploadAnimated, kind=kind)


@pytest.mark.parametrize(
    ("size", "kind", "ok"),
    [
        ((300, 300), DocumentKind.PASSPORT, True),
        ((299, 400), DocumentKind.PASSPORT, False),
        ((400, 299), DocumentKind.ID_CARD_BACK, False),
        ((299, 299), DocumentKind.PROOF_OF_ADDRESS, False),
        ((200, 200), DocumentKind.SELFIE, True),
        ((250, 250), DocumentKind.SELFIE_WITH_DOCUMENT, True),
        ((199, 300), DocumentKind.SELFIE, False),
    ],
)
def test_minimum_size(size: tuple[int, int], kind: DocumentKind, ok: bool) -> None:
    data = b.png(*size)
    if ok:
        assert (run(data, kind=kind).width, run(data, kind=kind).height) == size
    else:
        error = reject(data, UploadTooSmall, kind=kind)
        assert (error.code, error.status) == ("upload-too-small", 422)


def test_minimum_size_is_configurable() -> None:
    data = b.png(100, 100)
    limits = UploadLimits(min_side=100)
    assert run(data, limits=limits).width == 100
    reject(data, UploadTooSmall, kind=DocumentKind.SELFIE, limits=limits)


def test_images_are_accepted_for_every_kind() -> None:
    for kind in DocumentKind:
        assert run(b.jpeg(), kind=kind).media_type is MediaType.JPEG
