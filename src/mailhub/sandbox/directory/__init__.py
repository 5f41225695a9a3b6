"""The sandbox directory: domains (with an edition), departments, users, main passwords, bound phones."""

from mailhub.sandbox.directory.directory import Directory
from mailhub.sandbox.directory.errors import (
    BadEdition,
    DirectoryError,
    DuplicateDepartment,
    DuplicateDomain,
    DuplicateUser,
    InvalidValue,
    UnknownDomain,
    UnknownUser,
)
from mailhub.sandbox.directory.model import Domain, User

__all__ = [
    "BadEdition",
    "Directory",
    "DirectoryError",
    "Domain",
    "DuplicateDepartment",
    "DuplicateDomain",
    "DuplicateUser",
    "InvalidValue",
    "UnknownDomain",
    "UnknownUser",
    "User",
]
