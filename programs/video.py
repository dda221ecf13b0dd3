"""Exercise videos: parse a YouTube or Vimeo link into a provider and a video id.

Only the provider and the id are stored. Everything shown to a patient is rebuilt from them
(the privacy-enhanced embed for YouTube, ``dnt=1`` for Vimeo), so nothing from the pasted link
other than the id (no start time, playlist, tracking parameter or host) ever reaches a page.

Pure Python, standard library only: no Django import, so it can be used from models, forms,
data loaders and tests alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "InvalidVideoURL",
    "Video",
    "VideoProvider",
    "parse_video_url",
]


class VideoProvider(StrEnum):
    YOUTUBE = "youtube"
    VIMEO = "vimeo"


YOUTUBE_ID_RE = re.compile(r"[A-Za-z0-9_-]{11}")
VIMEO_ID_RE = re.compile(r"[1-9][0-9]{0,14}")
# The private hash of an unlisted Vimeo video (vimeo.com/<id>/<hash>).
VIMEO_HASH_RE = re.compile(r"[A-Za-z0-9]{1,64}")
# "scheme:" at the start of the input. A digit right after the colon is a port, not a scheme
# ("youtube.com:443/watch?v=..."), so it does not count.
SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?![0-9])")

MAX_URL_LENGTH = 2048

# Messages are shown to the user as they are (form errors, admin).
EMPTY = "Paste a YouTube or Vimeo link."
UNSUPPORTED = "Only YouTube and Vimeo links are accepted."
BARE_ID = "Paste the full link to the video, not just its id."
TOO_LONG = "This link is too long."
YOUTUBE_NO_ID = "This YouTube link has no video id."
YOUTUBE_BAD_ID = "The video id in this YouTube link is not valid."
YOUTUBE_PLAYLIST = "This is a YouTube playlist link. Paste the link of a single video."
VIMEO_NO_ID = "This Vimeo link has no video id."
VIMEO_BAD_ID = "The video id in this Vimeo link is not valid."

YOUTUBE_HOSTS = frozenset(
    {
        "youtube.com",
        "www.youtube.com",
        "m.youtube.com",
        "youtu.be",
        "youtube-nocookie.com",
        "www.youtube-nocookie.com",
    }
)
VIMEO_HOSTS = frozenset({"vimeo.com", "www.vimeo.com", "player.vimeo.com"})
# vimeo.com/<collection>/<name>/<item>/<id>
VIMEO_COLLECTION_PATHS = frozenset(
    {("groups", "videos"), ("album", "video"), ("showcase", "video")}
)

# youtube.com/<prefix>/<id>
YOUTUBE_PATH_PREFIXES = frozenset({"embed", "shorts", "live", "v"})
# /embed/videoseries?list=... is a playlist, and "videoseries" happens to be 11 characters long.
YOUTUBE_PLAYLIST_IDS = frozenset({"videoseries"})


class InvalidVideoURL(ValueError):
    """The link is not a YouTube or Vimeo video link. ``str(error)`` is safe to show a user."""


@dataclass(frozen=True)
class Video:
    """A video on a supported provider, identified by its id on that provider."""

    provider: VideoProvider
    id: str

    def __post_init__(self) -> None:
        # Accept the plain string stored in a database column ("youtube") as well.
        try:
            provider = VideoProvider(self.provider)
        except ValueError:
            raise ValueError(f"Unknown video provider: {self.provider!r}") from None
        object.__setattr__(self, "provider", provider)
        pattern = YOUTUBE_ID_RE if provider is VideoProvider.YOUTUBE else VIMEO_ID_RE
        if not isinstance(self.id, str) or not pattern.fullmatch(self.id):
            raise ValueError(f"Not a valid {provider.value} video id: {self.id!r}")
        if provider is VideoProvider.YOUTUBE and self.id in YOUTUBE_PLAYLIST_IDS:
            raise ValueError(f"Not a valid youtube video id: {self.id!r}")

    def embed_url(self) -> str:
        """The privacy-enhanced player URL, for an ``<iframe>``."""
        if self.provider is VideoProvider.YOUTUBE:
            return f"https://www.youtube-nocookie.com/embed/{self.id}"
        return f"https://player.vimeo.com/video/{self.id}?dnt=1"

    def watch_url(self) -> str:
        """The canonical page of the video on its provider (for a plain link)."""
        if self.provider is VideoProvider.YOUTUBE:
            return f"https://www.youtube.com/watch?v={self.id}"
        return f"https://vimeo.com/{self.id}"

    def short_url(self) -> str:
        """The shortest link to the video's page, for print (a handout and its QR code)."""
        if self.provider is VideoProvider.YOUTUBE:
            return f"https://youtu.be/{self.id}"
        return f"https://vimeo.com/{self.id}"

    def thumbnail_url(self) -> str | None:
        """A still image of the video, or None when it cannot be built without an API call."""
        if self.provider is VideoProvider.YOUTUBE:
            return f"https://i.ytimg.com/vi/{self.id}/hqdefault.jpg"
        return None


def parse_video_url(url: str) -> Video:
    """Return the video a YouTube or Vimeo link points at.

    A full link is required; a bare video id ("dQw4w9WgXcQ") is refused, because on its own
    it does not say which provider it belongs to. The scheme may be http, https or missing,
    and ``www.`` is optional.

    YouTube: ``youtube.com/watch?v=ID`` (any other parameters such as ``t``, ``list`` or
    ``si`` are ignored), ``m.youtube.com/watch?v=ID``, ``youtu.be/ID``,
    ``youtube.com/embed/ID``, ``youtube-nocookie.com/embed/ID``, ``youtube.com/shorts/ID``,
    ``youtube.com/live/ID`` and ``youtube.com/v/ID``. The id is exactly 11 characters of
    ``A-Z a-z 0-9 _ -``.

    Vimeo: ``vimeo.com/ID``, ``vimeo.com/ID/HASH`` (unlisted video: only the numeric id is
    kept), ``vimeo.com/channels/NAME/ID``, ``vimeo.com/groups/NAME/videos/ID``,
    ``vimeo.com/album/N/video/ID``, ``vimeo.com/showcase/N/video/ID`` and
    ``player.vimeo.com/video/ID``. The id is made of digits.

    Anything else (other hosts, including lookalikes such as ``youtube.com.evil.example``,
    other schemes such as ``javascript:``, links with a user name or an unusual port,
    malformed ids, empty input) raises :class:`InvalidVideoURL` with a message that can be
    shown to the user.
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidVideoURL(EMPTY)
    text = url.strip()
    if len(text) > MAX_URL_LENGTH:
        raise InvalidVideoURL(TOO_LONG)
    if YOUTUBE_ID_RE.fullmatch(text) or VIMEO_ID_RE.fullmatch(text):
        raise InvalidVideoURL(BARE_ID)
    # Whitespace, control characters and backslashes never occur in a real link; the URL
    # parser would silently drop some of them and browsers read "\" as "/".
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in text):
        raise InvalidVideoURL(UNSUPPORTED)

    if text.startswith("//"):
        text = "https:" + text
    elif not SCHEME_RE.match(text):
        text = "https://" + text

    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidVideoURL(UNSUPPORTED) from None
    if parts.scheme not in ("http", "https"):
        raise InvalidVideoURL(UNSUPPORTED)
    if parts.username is not None or parts.password is not None:
        raise InvalidVideoURL(UNSUPPORTED)
    if port not in (None, 80, 443):
        raise InvalidVideoURL(UNSUPPORTED)

    host = (parts.hostname or "").removesuffix(".")
    segments = [segment for segment in parts.path.split("/") if segment]
    if host in YOUTUBE_HOSTS:
        return Video(VideoProvider.YOUTUBE, _youtube_id(host, segments, parts.query))
    if host in VIMEO_HOSTS:
        return Video(VideoProvider.VIMEO, _vimeo_id(host, segments))
    raise InvalidVideoURL(UNSUPPORTED)


def _youtube_id(host: str, segments: list[str], query: str) -> str:
    if host == "youtu.be":
        if len(segments) != 1:
            raise InvalidVideoURL(YOUTUBE_NO_ID)
        candidate = segments[0]
    elif segments == ["watch"]:
        values = parse_qs(query).get("v")
        if not values or not values[0]:
            if "list" in parse_qs(query):
                raise InvalidVideoURL(YOUTUBE_PLAYLIST)
            raise InvalidVideoURL(YOUTUBE_NO_ID)
        candidate = values[0]
    elif segments == ["playlist"]:
        raise InvalidVideoURL(YOUTUBE_PLAYLIST)
    elif segments and segments[0] in YOUTUBE_PATH_PREFIXES:
        if len(segments) != 2:
            raise InvalidVideoURL(YOUTUBE_NO_ID)
        candidate = segments[1]
    else:
        raise InvalidVideoURL(YOUTUBE_NO_ID)

    if candidate in YOUTUBE_PLAYLIST_IDS:
        raise InvalidVideoURL(YOUTUBE_PLAYLIST)
    if not YOUTUBE_ID_RE.fullmatch(candidate):
        raise InvalidVideoURL(YOUTUBE_BAD_ID)
    return candidate


def _vimeo_id(host: str, segments: list[str]) -> str:
    candidate: str | None = None
    if host == "player.vimeo.com":
        if len(segments) == 2 and segments[0] == "video":
            candidate = segments[1]
    elif len(segments) == 1 and segments[0].isascii() and segments[0].isdigit():
        candidate = segments[0]
    elif (
        len(segments) == 2
        and segments[0].isascii()
        and segments[0].isdigit()
        and VIMEO_HASH_RE.fullmatch(segments[1])
    ):
        candidate = segments[0]  # unlisted video: vimeo.com/<id>/<hash>
    elif len(segments) == 3 and segments[0] == "channels":
        candidate = segments[2]
    elif len(segments) == 4 and (segments[0], segments[2]) in VIMEO_COLLECTION_PATHS:
        candidate = segments[3]

    if candidate is None:
        raise InvalidVideoURL(VIMEO_NO_ID)
    if not VIMEO_ID_RE.fullmatch(candidate):
        raise InvalidVideoURL(VIMEO_BAD_ID)
    return candidate
