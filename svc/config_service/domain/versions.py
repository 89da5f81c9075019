"""A write's precondition: the versions an If-Match header accepts, and whether one matches."""


class AnyVersion:
    """If-Match: * - every stored version matches, but the resource must exist."""

    def __repr__(self) -> str:
        return "ANY_VERSION"


ANY_VERSION = AnyVersion()
# A write's precondition: None (none), ANY_VERSION, or the versions an If-Match header accepts.
Versions = list[int] | AnyVersion | None


def version_matches(versions: Versions, current: int) -> bool:
    """Whether the stored version `current` satisfies the precondition."""
    return versions is None or isinstance(versions, AnyVersion) or current in versions
