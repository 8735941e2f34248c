"""The parsed course, cached between runs so the first screen is quick.

Parsing every lesson and glossary file (TOML, Markdown, validation) was most
of the time between `tutor` and the outline on screen; reading back the
parsed `Course` takes a tenth of it. The cache holds, beside the course, the
list of every content file's name, size and modification time (and tutor's
and Python's versions): when the list read now differs, the course is parsed
again, so an edited lesson shows at once. Anything wrong with the cache file
means the course is simply parsed again.

Kept beside the progress database, in `$TUTOR_HOME/cache/` or the user
cache directory; written 0600 and atomically, and read only when the
current user owns it and nobody else can write it (it is unpickled).

The loader is passed in, so that on a hit nothing of the parser is
imported (`tomllib`, the file checks): the app's first screen needs none.
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tutor import __version__
from tutor.course import Course

CACHE_NAME = "course.pickle"


def cache_dir() -> Path:
    env = os.environ.get("TUTOR_HOME")
    if env:
        return Path(env).expanduser() / "cache"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("tutor"))


def content_key(root: Path) -> str:
    """What the course is made of: each file's path, size and mtime, one a line.
    (Compared whole, not hashed: no hash library to load, and no collisions.)"""
    lines = [f"{__version__} {sys.version} {root}"]
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            path = os.path.join(folder, name)
            st = os.stat(path)
            lines.append(f"{os.path.relpath(path, root)}\0{st.st_size}\0{st.st_mtime_ns}")
    return "\n".join(lines)


def _read(path: Path, key: str) -> Course | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if st.st_uid != os.geteuid() or st.st_mode & 0o022:
            return None  # someone else could have written it: never unpickle it
        try:
            saved_key, course = pickle.load(f)
        except Exception:  # a truncated, stale or foreign file: parse again
            return None
    return course if saved_key == key and isinstance(course, Course) else None


def _write(path: Path, key: str, course: Course) -> None:
    if os.environ.get("TUTOR_HOME"):
        # TUTOR_HOME itself 0700 (a parents=True mkdir would make it 0755).
        path.parent.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".course-")  # 0600
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump((key, course), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def cached_course(root: Path, load: Callable[[Path], Course]) -> Course:
    """`load(root)`, or the same course read back from the cache."""
    try:
        key = content_key(root)
        path = cache_dir() / CACHE_NAME
    except OSError:
        return load(root)
    course = _read(path, key)
    if course is not None:
        return course
    course = load(root)
    if not course.problems:  # a broken file is reported afresh every time
        try:
            for old in path.parent.glob("course-*.pickle"):  # earlier tutors' names
                old.unlink(missing_ok=True)
            _write(path, key, course)
        except OSError:
            pass  # a read-only home: no cache, same course
    return course


def lessons_root() -> Path:
    """Where the installed course is (the `lessons` package)."""
    import lessons

    return Path(lessons.__file__).parent
