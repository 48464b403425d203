"""The archive's offline gallery: `index.html` and a page per post, plain HTML.

It opens from the unpacked folder by double-click: every reference is a relative path to
a file inside the archive, nothing is fetched from elsewhere and no script runs. Every
piece of text a person wrote (captions, names, descriptions) is escaped, so a caption
that holds markup shows as text; the pages also forbid scripts by policy, in case.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime

INDEX = "index.html"
PAGES = "gallery/posts"
THUMBS = "gallery/thumbs"
SHOWN = "gallery/display"

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:960px;padding:1rem;color:#222}
header{border-bottom:1px solid #ddd;margin-bottom:1rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:4px;
list-style:none;padding:0}
.grid img{width:100%;aspect-ratio:1;object-fit:cover;display:block}
.grid a.text{display:flex;aspect-ratio:1;align-items:center;justify-content:center;
background:#eee;color:#444;text-decoration:none;padding:.5rem;overflow:hidden}
figure{margin:0 0 1rem}figure img,figure video{max-width:100%;height:auto}
.meta{color:#666;font-size:.9rem}.caption{white-space:pre-wrap}
"""
# No script may run even if something slipped through; images and videos stay allowed,
# since browsers treat file:// sources unevenly under 'self'.
_POLICY = "script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=True)


@dataclass
class GalleryMedia:
    kind: str  # image, gifv, video
    description: str | None
    original: str | None  # paths inside the archive, from its root
    shown: str | None
    thumb: str | None


@dataclass
class GalleryPost:
    id: int
    caption: str
    spoiler: str
    visibility: str
    created_at: datetime
    reply_to: str | None
    media: list[GalleryMedia] = field(default_factory=list)

    @property
    def page(self) -> str:
        return f"{PAGES}/{self.id}.html"


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _tile(post: GalleryPost) -> str:
    first = post.media[0] if post.media else None
    href = esc(post.page)
    if first is not None and first.thumb:
        alt = esc(first.description or post.caption[:120])
        image = f'<img src="{esc(first.thumb)}" alt="{alt}" loading="lazy">'
        return f'<li><a href="{href}">{image}</a></li>'
    label = esc(post.caption[:140] or f"Post of {_when(post.created_at)}")
    return f'<li><a class="text" href="{href}">{label}</a></li>'


def index_html(
    *,
    display_name: str,
    address: str,
    note: str,
    avatar: str | None,
    posts: list[GalleryPost],
    comments: list[GalleryPost],
    exported_at: datetime,
) -> str:
    """The gallery's first page: the profile, a grid of the posts, the comments."""
    title = display_name or address
    avatar_html = f'<img src="{esc(avatar)}" alt="" width="96" height="96">' if avatar else ""
    grid = "\n".join(_tile(post) for post in posts)
    listed = "\n".join(
        f'<li><a href="{esc(c.page)}">{esc(_when(c.created_at))}</a> '
        f'<span class="caption">{esc(c.caption[:280])}</span></li>'
        for c in comments
    )
    body = (
        f"<header>{avatar_html}<h1>{esc(title)}</h1>"
        f'<p class="meta">@{esc(address)} · {_count(len(posts), "post")} · '
        f"{_count(len(comments), 'comment')} · "
        f"archived {esc(_when(exported_at))}</p>"
        f'<p class="caption">{esc(note)}</p></header>\n'
        f'<main><h2>Posts</h2><ul class="grid">\n{grid}\n</ul>\n'
        f"<h2>Comments</h2><ul>\n{listed}\n</ul></main>"
    )
    return _document(f"{title} — archive", body)


def _up(path: str) -> str:
    """`path` (from the archive's root) as seen from a post page two folders down."""
    return f"../../{path}"


def _figure(media: GalleryMedia) -> str:
    parts: list[str] = []
    alt = esc(media.description)
    if media.shown and media.kind in ("video", "gifv"):
        poster = f' poster="{esc(_up(media.thumb))}"' if media.thumb else ""
        loop = " loop muted autoplay" if media.kind == "gifv" else ""
        parts.append(
            f'<video controls{loop} preload="metadata" src="{esc(_up(media.shown))}"{poster}>'
            f"{alt}</video>"
        )
    elif media.shown:
        parts.append(f'<img src="{esc(_up(media.shown))}" alt="{alt}">')
    if media.description:
        parts.append(f"<figcaption>{esc(media.description)}</figcaption>")
    if media.original:
        parts.append(f'<p class="meta"><a href="{esc(_up(media.original))}">Original file</a></p>')
    else:
        parts.append('<p class="meta">The original file is not in this archive.</p>')
    return "<figure>" + "".join(parts) + "</figure>"


def post_html(post: GalleryPost, *, address: str) -> str:
    """One post's page: its media at full size, its caption, when and to whom."""
    summary = f'<p class="meta">Content warning: {esc(post.spoiler)}</p>' if post.spoiler else ""
    reply = f'<p class="meta">In reply to {esc(post.reply_to)}</p>' if post.reply_to else ""
    body = (
        f'<p><a href="{esc(_up(INDEX))}">← All posts</a></p>\n<article>{summary}{reply}'
        + "".join(_figure(media) for media in post.media)
        + f'<p class="caption">{esc(post.caption)}</p>'
        f'<p class="meta">@{esc(address)} · {esc(_when(post.created_at))} · '
        f"{esc(post.visibility)}</p></article>"
    )
    return _document(f"Post of {_when(post.created_at)}", body)
