import dataclasses
import re

import pytest

from programs.video import InvalidVideoURL, Video, VideoProvider, parse_video_url

YT = "dQw4w9WgXcQ"
YT_DASH = "-2vO8QfdLFg"
VIMEO = "76979871"


def youtube(video_id: str = YT) -> Video:
    return Video(VideoProvider.YOUTUBE, video_id)


def vimeo(video_id: str = VIMEO) -> Video:
    return Video(VideoProvider.VIMEO, video_id)


def with_every_prefix(rest: str) -> list[str]:
    """The same link with https, http, scheme-relative and no scheme, with and without www."""
    return [
        f"{scheme}{www}{rest}"
        for scheme in ("https://", "http://", "//", "")
        for www in ("www.", "")
    ]


# Accepted forms ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", with_every_prefix(f"youtube.com/watch?v={YT}"))
def test_it_reads_the_id_from_a_watch_link_with_or_without_scheme_and_www(url):
    assert parse_video_url(url) == youtube()


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.youtube.com/watch?v={YT}&t=42s",
        f"https://www.youtube.com/watch?v={YT}&list=PL590L5WQmH8fJ54F369BLDSqIwcs-TCfs&index=3",
        f"https://www.youtube.com/watch?feature=share&v={YT}",
        f"https://www.youtube.com/watch?app=desktop&v={YT}&si=abcDEF123",
        f"https://www.youtube.com/watch?v={YT}#t=1m30s",
        f"https://www.youtube.com/watch/?v={YT}",
    ],
)
def test_it_reads_the_id_from_a_watch_link_with_extra_parameters(url):
    assert parse_video_url(url) == youtube()


@pytest.mark.parametrize(
    "url", [f"https://m.youtube.com/watch?v={YT}", f"m.youtube.com/watch?v={YT}&t=5"]
)
def test_it_reads_the_id_from_a_mobile_link(url):
    assert parse_video_url(url) == youtube()


@pytest.mark.parametrize(
    "url",
    [
        f"https://youtu.be/{YT}",
        f"http://youtu.be/{YT}",
        f"youtu.be/{YT}",
        f"https://youtu.be/{YT}?t=30",
        f"https://youtu.be/{YT}?si=Xy_z-123",
        f"https://youtu.be/{YT}/",
    ],
)
def test_it_reads_the_id_from_a_short_youtu_be_link(url):
    assert parse_video_url(url) == youtube()


@pytest.mark.parametrize(
    "url",
    [*with_every_prefix(f"youtube.com/embed/{YT}"), f"https://www.youtube.com/embed/{YT}?start=30"],
)
def test_it_reads_the_id_from_an_embed_link(url):
    assert parse_video_url(url) == youtube()


@pytest.mark.parametrize("url", with_every_prefix(f"youtube-nocookie.com/embed/{YT}"))
def test_it_reads_the_id_from_a_privacy_enhanced_embed_link(url):
    assert parse_video_url(url) == youtube()


@pytest.mark.parametrize(
    "url",
    [*with_every_prefix(f"youtube.com/shorts/{YT}"), f"youtube.com/shorts/{YT}?feature=share"],
)
def test_it_reads_the_id_from_a_shorts_link(url):
    assert parse_video_url(url) == youtube()


@pytest.mark.parametrize(
    "url", [f"https://www.youtube.com/live/{YT}", f"youtube.com/live/{YT}?si=abc"]
)
def test_it_reads_the_id_from_a_live_link(url):
    assert parse_video_url(url) == youtube()


@pytest.mark.parametrize(
    "url", [f"https://www.youtube.com/v/{YT}", f"youtube.com/v/{YT}?version=3"]
)
def test_it_reads_the_id_from_an_old_style_v_link(url):
    assert parse_video_url(url) == youtube()


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.youtube.com/watch?v={YT_DASH}",
        f"https://youtu.be/{YT_DASH}",
        "https://www.youtube.com/embed/IikP_teeLkI",
    ],
)
def test_it_keeps_dashes_and_underscores_in_youtube_ids(url):
    video = parse_video_url(url)
    assert video.provider is VideoProvider.YOUTUBE
    assert video.id in url


@pytest.mark.parametrize(
    "url",
    [
        f"HTTPS://WWW.YOUTUBE.COM/watch?v={YT}",
        f"https://YouTu.be/{YT}",
        f"  https://www.youtube.com/watch?v={YT}  ",
        f"https://www.youtube.com:443/watch?v={YT}",
        f"http://www.youtube.com:80/watch?v={YT}",
        f"https://www.youtube.com./watch?v={YT}",
    ],
)
def test_it_tolerates_upper_case_hosts_default_ports_and_surrounding_spaces(url):
    assert parse_video_url(url) == youtube()


@pytest.mark.parametrize("url", with_every_prefix(f"vimeo.com/{VIMEO}"))
def test_it_reads_the_id_from_a_vimeo_link_with_or_without_scheme_and_www(url):
    assert parse_video_url(url) == vimeo()


@pytest.mark.parametrize(
    "url",
    [
        f"https://vimeo.com/channels/staffpicks/{VIMEO}",
        f"https://vimeo.com/groups/physio/videos/{VIMEO}",
        f"https://vimeo.com/album/123/video/{VIMEO}",
        f"https://vimeo.com/showcase/123/video/{VIMEO}",
    ],
)
def test_it_reads_the_id_from_a_vimeo_channel_group_or_showcase_link(url):
    assert parse_video_url(url) == vimeo()


@pytest.mark.parametrize(
    "url",
    [
        f"https://player.vimeo.com/video/{VIMEO}",
        f"player.vimeo.com/video/{VIMEO}?h=0a1b2c3d4e&dnt=1",
    ],
)
def test_it_reads_the_id_from_a_vimeo_player_link(url):
    assert parse_video_url(url) == vimeo()


@pytest.mark.parametrize(
    "url", [f"https://vimeo.com/{VIMEO}/0a1b2c3d4e", f"vimeo.com/{VIMEO}/0a1b2c3d4e?share=copy"]
)
def test_it_keeps_only_the_numeric_id_of_an_unlisted_vimeo_link(url):
    assert parse_video_url(url) == vimeo()


@pytest.mark.parametrize("url", [f"https://vimeo.com/{VIMEO}#t=30s", f"vimeo.com/{VIMEO}?t=1"])
def test_it_ignores_the_start_time_of_a_vimeo_link(url):
    assert parse_video_url(url) == vimeo()


# Rejections -----------------------------------------------------------------------------------

ONLY_YOUTUBE_AND_VIMEO = "Only YouTube and Vimeo links are accepted."


@pytest.mark.parametrize("url", ["", "   ", "\n\t", None])
def test_it_rejects_an_empty_link(url):
    with pytest.raises(InvalidVideoURL, match="Paste a YouTube or Vimeo link"):
        parse_video_url(url)


@pytest.mark.parametrize("url", [YT, YT_DASH, VIMEO])
def test_it_rejects_a_bare_id_and_asks_for_the_full_link(url):
    with pytest.raises(InvalidVideoURL, match="full link"):
        parse_video_url(url)


@pytest.mark.parametrize(
    "url",
    [
        f"https://example.com/watch?v={YT}",
        f"https://youtube.com.evil.example/watch?v={YT}",
        f"youtube.com.evil.example/watch?v={YT}",
        f"https://www.youtube.com.evil.example/embed/{YT}",
        f"https://notyoutube.com/watch?v={YT}",
        f"https://evilyoutu.be/{YT}",
        f"https://youtu.be.evil.example/{YT}",
        f"https://fakeyoutube-nocookie.com/embed/{YT}",
        f"https://vimeo.com.evil.example/{VIMEO}",
        f"https://notvimeo.com/{VIMEO}",
        f"https://evil.example/youtube.com/watch?v={YT}",
        f"https://evil.example/?next=https://youtu.be/{YT}",
        f"https://music.youtube.com/watch?v={YT}",
        f"https://gaming.youtube.com/watch?v={YT}",
        f"https://www.youtub\u0435.com/watch?v={YT}",  # Cyrillic small letter ie
        f"https://www.xn--youtub-5nf.com/watch?v={YT}",
        f"https://vimeopro.com/user/project/video/{VIMEO}",
        "not a link at all",
    ],
)
def test_it_rejects_other_hosts_and_lookalikes(url):
    with pytest.raises(InvalidVideoURL, match=ONLY_YOUTUBE_AND_VIMEO):
        parse_video_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)//youtube.com/watch?v=dQw4w9WgXcQ",
        "JavaScript:alert(1)",
        f"data:text/html,https://youtu.be/{YT}",
        f"ftp://youtube.com/watch?v={YT}",
        f"file:///youtube.com/watch?v={YT}",
        f"vbscript:youtu.be/{YT}",
    ],
)
def test_it_rejects_links_that_are_not_http(url):
    with pytest.raises(InvalidVideoURL, match=ONLY_YOUTUBE_AND_VIMEO):
        parse_video_url(url)


@pytest.mark.parametrize(
    "url",
    [
        f"https://youtube.com@evil.example/watch?v={YT}",
        f"https://user:pass@www.youtube.com/watch?v={YT}",
        f"https://evil.example\\@youtube.com/watch?v={YT}",
        f"https://www.youtube.com:8080/watch?v={YT}",
        f"https://www.you\ntube.com/watch?v={YT}",
        f"https://www.youtube.com/watch?v={YT}\x00",
        "https://[::1/watch",
    ],
)
def test_it_rejects_links_with_credentials_odd_ports_or_hidden_characters(url):
    with pytest.raises(InvalidVideoURL, match=ONLY_YOUTUBE_AND_VIMEO):
        parse_video_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/",
        "https://www.youtube.com/watch",
        "https://www.youtube.com/watch?v=",
        "https://www.youtube.com/watch?t=30",
        "https://www.youtube.com/@SomeChannel",
        "https://www.youtube.com/channel/UC1234567890",
        "https://www.youtube.com/results?search_query=hip+stretch",
        "https://www.youtube.com/embed/",
        "https://www.youtube.com/shorts/",
        f"https://www.youtube.com/embed/{YT}/extra",
        "https://youtu.be/",
        f"https://youtu.be/{YT}/extra",
    ],
)
def test_it_rejects_a_youtube_link_without_a_video_id(url):
    with pytest.raises(InvalidVideoURL, match=re.escape("This YouTube link has no video id.")):
        parse_video_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXc",  # 10 characters
        "https://www.youtube.com/watch?v=dQw4w9WgXcQQ",  # 12 characters
        "https://youtu.be/dQw4w9WgXc!",
        "https://www.youtube.com/embed/dQw4w9WgXc%51",
        "https://www.youtube.com/shorts/dQw4w9WgXc.",
        "https://www.youtube.com/watch?v=dQw4w9WgXçQ",
        "https://www.youtube.com/watch?v=<script>",
    ],
)
def test_it_rejects_a_malformed_youtube_id(url):
    with pytest.raises(
        InvalidVideoURL, match=re.escape("The video id in this YouTube link is not valid.")
    ):
        parse_video_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/playlist?list=PL590L5WQmH8fJ54F369BLDSqIwcs-TCfs",
        "https://www.youtube.com/watch?list=PL590L5WQmH8fJ54F369BLDSqIwcs-TCfs",
        "https://www.youtube.com/embed/videoseries?list=PL590L5WQmH8fJ54F369BLDSqIwcs-TCfs",
    ],
)
def test_it_rejects_a_youtube_playlist_link(url):
    with pytest.raises(InvalidVideoURL, match="playlist"):
        parse_video_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://vimeo.com/",
        "https://vimeo.com/someuser",
        "https://vimeo.com/channels/staffpicks",
        "https://vimeo.com/groups/physio",
        "https://vimeo.com/groups/physio/videos",
        "https://player.vimeo.com/",
        "https://player.vimeo.com/video/",
        f"https://player.vimeo.com/{VIMEO}",
    ],
)
def test_it_rejects_a_vimeo_link_without_a_video_id(url):
    with pytest.raises(InvalidVideoURL, match=re.escape("This Vimeo link has no video id.")):
        parse_video_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://vimeo.com/0123",
        "https://vimeo.com/channels/staffpicks/abc",
        "https://vimeo.com/groups/physio/videos/12a",
        "https://player.vimeo.com/video/abc",
        "https://player.vimeo.com/video/١٢٣",  # Arabic-Indic digits
        "https://vimeo.com/1234567890123456789",
    ],
)
def test_it_rejects_a_malformed_vimeo_id(url):
    with pytest.raises(
        InvalidVideoURL, match=re.escape("The video id in this Vimeo link is not valid.")
    ):
        parse_video_url(url)


def test_it_rejects_an_absurdly_long_link():
    with pytest.raises(InvalidVideoURL, match="too long"):
        parse_video_url(f"https://www.youtube.com/watch?v={YT}&x=" + "a" * 5000)


def test_invalid_video_url_is_a_value_error_so_forms_can_catch_it():
    assert issubclass(InvalidVideoURL, ValueError)


# The Video value ------------------------------------------------------------------------------


def test_a_youtube_video_embeds_through_the_privacy_enhanced_domain():
    assert youtube().embed_url() == f"https://www.youtube-nocookie.com/embed/{YT}"


def test_a_youtube_video_links_to_its_watch_page():
    assert youtube().watch_url() == f"https://www.youtube.com/watch?v={YT}"


def test_a_youtube_video_has_a_thumbnail():
    assert youtube().thumbnail_url() == f"https://i.ytimg.com/vi/{YT}/hqdefault.jpg"


def test_a_vimeo_video_embeds_with_do_not_track():
    assert vimeo().embed_url() == f"https://player.vimeo.com/video/{VIMEO}?dnt=1"


def test_a_vimeo_video_links_to_its_page():
    assert vimeo().watch_url() == f"https://vimeo.com/{VIMEO}"


def test_a_vimeo_video_has_no_thumbnail_without_an_api_call():
    assert vimeo().thumbnail_url() is None


def test_the_start_time_and_playlist_are_not_kept():
    video = parse_video_url(f"https://www.youtube.com/watch?v={YT}&t=42&list=PLx")
    assert video.watch_url() == f"https://www.youtube.com/watch?v={YT}"


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.youtube.com/watch?v={YT}",
        f"https://youtu.be/{YT}",
        f"https://vimeo.com/{VIMEO}",
        f"https://player.vimeo.com/video/{VIMEO}",
    ],
)
def test_the_watch_url_parses_back_to_the_same_video(url):
    video = parse_video_url(url)
    assert parse_video_url(video.watch_url()) == video
    assert parse_video_url(video.embed_url()) == video


def test_a_video_is_immutable_and_hashable():
    video = youtube()
    with pytest.raises(dataclasses.FrozenInstanceError):
        video.id = "aaaaaaaaaaa"
    assert {video, youtube()} == {video}


def test_a_video_accepts_the_provider_as_stored_in_a_database_column():
    video = Video("vimeo", VIMEO)
    assert video.provider is VideoProvider.VIMEO
    assert video == vimeo()


def test_the_provider_compares_equal_to_its_stored_value():
    assert VideoProvider.YOUTUBE == "youtube"
    assert VideoProvider.VIMEO == "vimeo"


@pytest.mark.parametrize(
    ("provider", "video_id"),
    [
        ("youtube", "short"),
        ("youtube", "videoseries"),
        ("youtube", VIMEO),
        ("vimeo", YT),
        ("vimeo", ""),
        ("dailymotion", YT),
    ],
)
def test_a_video_refuses_an_id_that_does_not_fit_its_provider(provider, video_id):
    with pytest.raises(ValueError):
        Video(provider, video_id)
