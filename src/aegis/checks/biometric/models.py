"""dlib's face models, found on disk and loaded once per process.

The weights ship inside the ``face-recognition-models`` wheel. That package's
``__init__`` imports ``pkg_resources`` (absent from modern environments), so its folder is
located with ``importlib.util.find_spec`` without importing it. An operator may point the
``face_model_dir`` setting at another folder holding files of the same names (an air-gapped
install, or a vetted copy); nothing is ever fetched from the network.

Each model is loaded on first use (the 68-point predictor is only needed for liveness,
the CNN detector only when asked for), under a lock so concurrent first requests load it
once. dlib's detectors and networks keep scratch buffers inside the object, so every call
into one is serialised through that model's own lock.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from aegis.errors import ServiceUnavailable

T = TypeVar("T")

ENCODER_FILE = "dlib_face_recognition_resnet_model_v1.dat"
LANDMARKS_5_FILE = "shape_predictor_5_face_landmarks.dat"
LANDMARKS_68_FILE = "shape_predictor_68_face_landmarks.dat"
CNN_DETECTOR_FILE = "mmod_human_face_detector.dat"


class FaceModelsUnavailable(ServiceUnavailable):
    title = "Face models are not installed"


def packaged_model_dir() -> Path | None:
    """The ``models`` folder of the installed face-recognition-models wheel, if any."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "models"
        if candidate.is_dir():
            return candidate
    return None


def default_model_dir() -> Path:
    found = packaged_model_dir()
    if found is None:
        raise FaceModelsUnavailable(
            "face-recognition-models is not installed and no face model folder is set"
        )
    return found


class _Guarded:
    """A model plus the lock every call into it takes."""

    __slots__ = ("lock", "model")

    def __init__(self, model: Any) -> None:
        self.model = model
        self.lock = threading.Lock()

    def call(self, fn: Callable[[Any], T]) -> T:
        with self.lock:
            return fn(self.model)


class FaceModels:
    """The dlib models of one folder, each loaded on first use."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._load_lock = threading.Lock()
        self._loaded: dict[str, _Guarded] = {}

    def _get(self, name: str, build: Callable[[], Any]) -> _Guarded:
        guarded = self._loaded.get(name)
        if guarded is not None:
            return guarded
        with self._load_lock:
            guarded = self._loaded.get(name)
            if guarded is None:
                guarded = _Guarded(build())
                self._loaded[name] = guarded
            return guarded

    def _file(self, name: str) -> str:
        path = self.folder / name
        if not path.is_file():
            raise FaceModelsUnavailable(f"face model file {name} is missing from {self.folder}")
        return str(path)

    @property
    def hog(self) -> _Guarded:
        import dlib

        return self._get("hog", dlib.get_frontal_face_detector)

    @property
    def cnn(self) -> _Guarded:
        import dlib

        return self._get(
            "cnn", lambda: dlib.cnn_face_detection_model_v1(self._file(CNN_DETECTOR_FILE))
        )

    @property
    def landmarks5(self) -> _Guarded:
        import dlib

        return self._get("lm5", lambda: dlib.shape_predictor(self._file(LANDMARKS_5_FILE)))

    @property
    def landmarks68(self) -> _Guarded:
        import dlib

        return self._get("lm68", lambda: dlib.shape_predictor(self._file(LANDMARKS_68_FILE)))

    @property
    def encoder(self) -> _Guarded:
        import dlib

        return self._get(
            "encoder", lambda: dlib.face_recognition_model_v1(self._file(ENCODER_FILE))
        )


_registry_lock = threading.Lock()
_registry: dict[Path, FaceModels] = {}


def get_models(folder: Path | None = None) -> FaceModels:
    """The process-wide models of ``folder`` (the ``face_model_dir`` setting; default: the
    wheel's)."""
    resolved = (folder.expanduser() if folder else default_model_dir()).resolve()
    with _registry_lock:
        models = _registry.get(resolved)
        if models is None:
            if not resolved.is_dir():
                raise FaceModelsUnavailable(f"face model folder {resolved} does not exist")
            models = FaceModels(resolved)
            _registry[resolved] = models
        return models
