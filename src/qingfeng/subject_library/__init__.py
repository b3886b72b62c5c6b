"""Subject and relationship libraries (主体库 / 关系库) built from the standard datasets."""

from qingfeng.subject_library.attach import attach_libraries, libraries_dir, relatives_within
from qingfeng.subject_library.build import (
    LIBRARY_NAMES,
    LibraryBuildError,
    LibraryReport,
    build_libraries,
)

__all__ = [
    "LIBRARY_NAMES",
    "LibraryBuildError",
    "LibraryReport",
    "attach_libraries",
    "build_libraries",
    "libraries_dir",
    "relatives_within",
]
