"""Face detection and matching on the shared real photos (skipped where absent) and on
synthetic non-faces.

All-pairs test: every pair of photos in the identity folders (obama, biden,
alex_lacamoire, kit_harington, rose_leslie, lin_manuel_miranda). The underscore folders
are tested separately: _obama_resolutions, _partial and _misc/32bit.png against the
identity photos (all are Obama), _duplicates against the photos they duplicate, _multi
as selfies.
"""

from __future__ import annotations

import io
import itertools
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aegis.checks.biometric.faces import (
    DEFAULT_POLICY,
    FACE_MISMATCH,
    FACE_TOO_SMALL,
    MATCH_THRESHOLD,
    MULTIPLE_FACES,
    NO_FACE,
    Face,
    check_selfie,
    compare,
    distance,
    encode,
    find_portrait,
    similarity,
)
from aegis.checks.biometric.images import load_rgb
from aegis.checks.biometric.models import (
    ENCODER_FILE,
    FaceModelsUnavailable,
    default_model_dir,
    get_models,
    packaged_model_dir,
)
from aegis.checks.result import Outcome
from tests.checks.biometric.conftest import identity_photos, photos
from tests.checks.biometric.synthetic import non_faces


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_every_same_person_pair_matches_and_no_other_pair_does(encodings: dict[Path, Face]) -> None:
    people = identity_photos()
    assert len(people) >= 10 and len(set(people.values())) >= 5
    wrong = []
    same_pairs = diff_pairs = 0
    for a, b in itertools.combinations(sorted(people), 2):
        dist = distance(encodings[a], encodings[b])
        same = people[a] == people[b]
        same_pairs += same
        diff_pairs += not same
        if (dist <= MATCH_THRESHOLD) != same:
            wrong.append(
                f"{_name(a)} vs {_name(b)}: {dist:.3f} ({'same' if same else 'different'})"
            )
    assert not wrong, "\n".join(wrong)
    assert same_pairs >= 15 and diff_pairs >= 90


def test_extra_obama_images_match_obama_only(encodings: dict[Path, Face], faces_dir: Path) -> None:
    people = identity_photos()
    extras = [*photos("_obama_resolutions"), *photos("_partial"), *photos("_misc")]
    assert extras
    for extra in extras:
        for photo, person in people.items():
            dist = distance(encodings[extra], encodings[photo])
            assert (dist <= MATCH_THRESHOLD) == (person == "obama"), (
                _name(extra),
                _name(photo),
                dist,
            )


def test_duplicates_encode_exactly_like_their_originals(encodings: dict[Path, Face]) -> None:
    by_bytes = {p.read_bytes(): p for p in identity_photos()}
    checked = 0
    for duplicate in photos("_duplicates"):
        original = by_bytes.get(duplicate.read_bytes())
        if original is not None:
            assert distance(encodings[duplicate], encodings[original]) < 1e-6
            checked += 1
    assert checked >= 3


def test_multi_person_photos_are_refused_as_selfies(faces_dir: Path) -> None:
    obama = faces_dir / "obama" / "examples_obama.jpg"
    for photo in photos("_multi"):
        result = check_selfie(photo)
        assert result.outcome is Outcome.FAIL and result.codes == (MULTIPLE_FACES,), _name(photo)
        assert result.details["faces"] >= 2
        comparison = compare(photo, obama)
        assert MULTIPLE_FACES in comparison.result.codes
        assert comparison.distance is None and not comparison.match
        # As a document, the largest face is the portrait.
        portrait = find_portrait(photo)
        assert portrait is not None
        assert portrait.face.size == max(f.size for f in comparison.selfie_faces)


@pytest.mark.parametrize("name", sorted(non_faces()))
def test_synthetic_non_faces_have_no_face(name: str) -> None:
    image = non_faces()[name]
    result = check_selfie(image)
    assert result.outcome is Outcome.FAIL and result.codes == (NO_FACE,)
    assert encode(image) == []
    assert find_portrait(image) is None


def test_non_face_never_matches_a_real_face(faces_dir: Path) -> None:
    real = load_rgb(faces_dir / "obama" / "examples_obama.jpg")
    for image in (non_faces()["cartoon_cat"], non_faces()["landscape_0"]):
        as_selfie = compare(image, real)
        assert as_selfie.result.codes == (NO_FACE,) and as_selfie.result.details["selfie"] == [
            NO_FACE
        ]
        as_portrait = compare(real, image)
        assert as_portrait.result.codes == (NO_FACE,)
        assert as_portrait.result.details["portrait"] == [NO_FACE]
        assert not as_selfie.match and not as_portrait.match


def test_face_free_crops_of_real_photos_have_no_face(faces_dir: Path) -> None:
    crops = 0
    for photo in identity_photos():
        pixels = load_rgb(photo)
        faces = encode(photo)
        assert len(faces) == 1, _name(photo)
        box = faces[0].box
        # Boxes are in upright original pixels; load_rgb may have reduced the photo.
        ratio = pixels.shape[1] / _upright_width(photo)
        left, right = int(box.left * ratio), int(box.right * ratio)
        bottom, h, w = int(box.bottom * ratio), int(box.height * ratio), int(box.width * ratio)
        regions = [
            pixels[bottom + h // 3 :, :],  # below the chin: neck, clothes
            pixels[:, : max(0, left - w // 3)],  # beside the face
            pixels[:, right + w // 3 :],
        ]
        for region in regions:
            if min(region.shape[:2]) >= 120:
                crops += 1
                result = check_selfie(np.ascontiguousarray(region))
                assert result.codes == (NO_FACE,), (_name(photo), region.shape)
    assert crops >= 10


def _upright_width(photo: Path) -> int:
    with Image.open(photo) as image:
        w, h = image.size
        return h if image.getexif().get(0x0112, 1) in (5, 6, 7, 8) else w


def test_small_faces_are_reported_too_small(faces_dir: Path) -> None:
    photo = faces_dir / "obama" / "knn_test_obama1.jpg"
    pixels = load_rgb(photo)
    face = encode(pixels)[0]
    factor = 44 / face.resolution
    small = np.asarray(
        Image.fromarray(pixels).resize(
            (round(pixels.shape[1] * factor), round(pixels.shape[0] * factor)),
            Image.Resampling.LANCZOS,
        )
    )
    result = check_selfie(small)
    assert result.codes == (FACE_TOO_SMALL,)
    assert result.details["face_px"] < DEFAULT_POLICY.min_face_px
    assert encode(small) == []  # too unreliable to index


def test_greyscale_sixteen_bit_and_rgba_copies_still_match(faces_dir: Path) -> None:
    photo = faces_dir / "obama" / "examples_obama.jpg"
    colour = encode(photo)[0]
    grey = np.asarray(Image.open(photo).convert("L"))
    sixteen = io.BytesIO()
    Image.fromarray(grey.astype(np.uint16) * 257).save(sixteen, "PNG")
    for variant in (grey, sixteen.getvalue()):
        found = encode(variant)
        assert len(found) == 1
        assert distance(found[0], colour) < 0.3
    rgba = encode(faces_dir / "_misc" / "32bit.png")[0]
    assert distance(rgba, encode(faces_dir / "obama" / "examples_obama2.jpg")[0]) < 0.1


def test_boxes_are_in_the_uploaded_images_coordinates(faces_dir: Path) -> None:
    pixels = load_rgb(faces_dir / "obama" / "knn_test_obama1.jpg", max_side=4000)
    base = encode(pixels)[0].box
    doubled = np.asarray(Image.fromarray(pixels).resize((pixels.shape[1] * 2, pixels.shape[0] * 2)))
    big = encode(doubled)[0].box  # 2960 px wide: detected on an 800 px copy
    for a, b in (
        (base.left, big.left),
        (base.top, big.top),
        (base.right, big.right),
        (base.bottom, big.bottom),
    ):
        assert abs(2 * a - b) <= 0.06 * 2 * base.width
    # EXIF-rotated upload: the box is reported in the upright image.
    exif = Image.Exif()
    exif[0x0112] = 8  # stored turned clockwise; viewers turn it back
    stored = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(np.rot90(pixels, -1))).save(
        stored, "JPEG", quality=95, exif=exif.tobytes()
    )
    turned = encode(stored.getvalue())[0]
    assert abs(turned.box.left - base.left) <= 0.06 * base.width
    assert abs(turned.box.top - base.top) <= 0.06 * base.width
    assert distance(turned, encode(pixels)[0]) < 0.15


def _document(face_photo: np.ndarray, rotate: int = 0) -> np.ndarray:
    """A synthetic ID card: text bars, a portrait on the left, a small ghost image."""
    card = np.full((640, 1000, 3), 235, np.uint8)
    card[:60] = (40, 70, 140)
    for row in range(6):
        card[140 + row * 60 : 160 + row * 60, 420 : 420 + 400 - row * 40] = 90
    portrait = np.asarray(Image.fromarray(face_photo).resize((300, 380)))
    card[110:490, 60:360] = portrait
    ghost = np.asarray(Image.fromarray(face_photo).convert("L").convert("RGB").resize((110, 140)))
    card[460:600, 850:960] = ghost
    return np.ascontiguousarray(np.rot90(card, rotate))


def test_document_portrait_is_the_largest_face_cropped_with_margin(faces_dir: Path) -> None:
    selfie_path = faces_dir / "obama" / "examples_obama.jpg"
    source = find_portrait(faces_dir / "obama" / "knn_test_obama1.jpg")
    assert source is not None
    document = _document(source.pixels)
    portrait = find_portrait(document)
    assert portrait is not None and portrait.rotation == 0
    crop = portrait.crop
    assert crop.left >= 40 and crop.right <= 380
    assert crop.top >= 90 and crop.bottom <= 500
    assert portrait.pixels.shape[0] > portrait.face.box.height  # margin around the face
    assert compare(selfie_path, document).match

    sideways = find_portrait(_document(source.pixels, rotate=1))
    assert sideways is not None and sideways.rotation != 0
    assert distance(sideways.face, portrait.face) < 0.2


def test_mismatch_is_reported_with_distance(faces_dir: Path) -> None:
    comparison = compare(
        faces_dir / "obama" / "examples_obama.jpg", faces_dir / "biden" / "examples_biden.jpg"
    )
    assert comparison.result.outcome is Outcome.FAIL
    assert comparison.result.codes == (FACE_MISMATCH,)
    assert comparison.distance is not None and comparison.distance > MATCH_THRESHOLD
    assert comparison.similarity is not None and comparison.similarity < 0.5
    assert "encoding" not in str(comparison.as_dict())  # biometric data stays out of reports


def test_similarity_is_a_monotone_map_onto_unit_interval() -> None:
    values = [similarity(d) for d in np.linspace(0.0, 2.0, 201)]
    assert values[0] == 1.0 and values[-1] == 0.0
    assert all(a >= b for a, b in itertools.pairwise(values))
    assert similarity(MATCH_THRESHOLD) == pytest.approx(0.5)
    assert similarity(0.4, threshold=0.4) == pytest.approx(0.5)


def test_distance_validates_encodings() -> None:
    a = np.zeros(128)
    b = np.zeros(128)
    b[0] = 3.0
    assert distance(a, b) == pytest.approx(3.0)
    with pytest.raises(ValueError, match="128"):
        distance(np.zeros(127), b)


def test_model_folder_resolution(tmp_path: Path) -> None:
    packaged = packaged_model_dir()
    assert packaged is not None and (packaged / ENCODER_FILE).is_file()
    with pytest.raises(FaceModelsUnavailable):
        get_models(tmp_path / "absent")
    empty = get_models(tmp_path)  # exists, but holds no model files
    with pytest.raises(FaceModelsUnavailable, match=ENCODER_FILE):
        _ = empty.encoder
    assert default_model_dir() == packaged
    assert get_models(None) is get_models(packaged)


def test_concurrent_use_gives_the_same_encodings(faces_dir: Path) -> None:
    pixels = load_rgb(faces_dir / "rose_leslie" / "knn_train_img2.jpg")
    expected = encode(pixels)[0].encoding
    results: list[object] = []

    def work() -> None:
        results.append(encode(pixels)[0].encoding)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 4
