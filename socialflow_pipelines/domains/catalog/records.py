"""The app's content items as every domain reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

CONTENT_TYPES: tuple[str, ...] = ("video", "post", "comment")


@dataclass(frozen=True)
class ContentItem:
    """One post, comment or video: its text (a video's title, description and captions)."""

    content_type: str
    content_id: str
    created_at: datetime
    text: str
    media_path: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.content_type, self.content_id


@dataclass(frozen=True)
class NewItem:
    """An item past a sensor's cursor: whether its result exists, and whether it may be processed
    yet (its upstream result exists)."""

    content_type: str
    content_id: str
    created_at: datetime
    done: bool
    ready: bool
