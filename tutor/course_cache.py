"""The parsed course, cached between runs so the first screen is quick.

Parsing every lesson and glossary file (TOML, Markdown, validation) was most
of the time between `tutor` and the outline on screen; reading back the
parsed `Course` takes a tenth of it. The cache is keyed by every content
file's name, size and modification time (and tutor's and Python's versions),
so an edited lesson is parsed again; anything wrong with the cache file
means the course is simply parsed again.

Kept beside the progress database, in `$TUTOR_HOME/cache/` or the user
cache directory; written 0600 and atomically, and read only when the
current user owns it and nobody else can write it (it is unpickled).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tutor import __version__
from tutor.course import Course


def cache_dir() -> Path:
    env = os.environ.get("TUTOR_HOME")
    if env:
        return Path(env).expanduser() / "cache"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("tutor"))


def content_key(root: Path) -> str:
    """A digest of what the course is made of: each file's path, size and mtime."""
    digest = hashlib.sha256(f"{__version__} {sys.version} {root}".encode())
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            st = path.stat()
            digest.update(f"{path.relative_to(root)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def _read(path: Path) -> Course | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if st.st_uid != os.geteuid() or st.st_mode & 0o022:
            return None  # someone else could have written it: never unpickle it
        try:
            course = pickle.load(f)
        except Exception:  # a truncated or stale file: parse again
            return None
    return course if isinstance(course, Course) else None


def _write(path: Path, course: Course) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".course-")  # 0600
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(course, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def cached_course(root: Path, load: Callable[[Path], Course]) -> Course:
    """`load(root)`, or the same course read back from the cache."""
    try:
        path = cache_dir() / f"course-{content_key(root)}.pickle"
    except OSError:
        return load(root)
    course = _read(path)
    if course is not None:
        return course
    course = load(root)
    if not course.problems:  # a broken file is reported afresh every time
        try:
            for old in path.parent.glob("course-*.pickle"):
                old.unlink(missing_ok=True)
            _write(path, course)
        except OSError:
            pass  # a read-only home: no cache, same course
    return course
