"""What the pipeline did, as the Rust library reports it (`maturin_hook_core::outcome`): the one
vocabulary every front end of the Python package uses. The native modules construct `Outcome`
(see `outcome_to_python` in the Rust library); `_fast.ACTIONS` lists the names they use, and a
test checks that `Action` has exactly those."""

from __future__ import annotations

import enum
from typing import Sequence


class Action(enum.Enum):
    UP_TO_DATE = "up_to_date"
    FOUND_REBUILT = "found_rebuilt"
    """Another process built it while this one waited for the project lock."""
    ADOPTED = "adopted"
    """The build of an editable install (`pip install -e`, `uv sync`) was taken over as it was."""
    REPLAYED = "replayed"
    """Only Rust sources had changed: cargo ran again and the new extension is installed."""
    RESTORED = "restored"
    """Only Rust sources had changed, to a state built before: the store's build of it is
    installed, without cargo."""
    BUILT = "built"
    """A full develop built and installed the project."""
    BUILT_IN_PLACE = "built_in_place"
    UPSTREAM_INSTALL = "upstream_install"
    SOURCES_GONE = "sources_gone"
    """The project directory is gone: the last build is what there is."""
    FULL_BUILD_NEEDED = "full_build_needed"
    """`_fast` stops here: `_native` runs the full develop."""


class Outcome:
    """One run of the pipeline for one build request."""

    __slots__ = ("action", "extension", "modules", "reason", "source", "waited")

    def __init__(
        self,
        action: str,
        reason: str | None,
        waited: bool,
        modules: Sequence[str],
        extension: str | None,
        source: str | None = None,
    ) -> None:
        self.action = Action(action)
        self.reason = reason
        """Why it built (the first changed input); for `SOURCES_GONE`, which directory is gone."""
        self.waited = waited
        """Another build of the project held the lock, and this one waited for it."""
        self.modules = list(modules)
        """The top-level modules the install provides (empty when not known)."""
        self.extension = extension
        """The extension module a `.rs` file was built into."""
        self.source = source
        """Where a restored build comes from (`built 2 h ago on branch main`)."""

    @property
    def built(self) -> bool:
        """This process built it: its warnings are worth showing, once."""
        return self.action in (Action.REPLAYED, Action.BUILT, Action.BUILT_IN_PLACE)

    @property
    def changed(self) -> bool:
        """What is installed may differ from what this process found before: its import
        system's caches and the `.pth` files it read at start-up are out of date."""
        return self.built or self.action in (Action.FOUND_REBUILT, Action.RESTORED)

    def __repr__(self) -> str:
        return f"Outcome({self.action.value!r}, reason={self.reason!r}, waited={self.waited})"
