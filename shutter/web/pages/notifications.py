"""Notifications: the person's notifications in groups ("ana and 4 others liked your
post"), marked read when seen, and the live connection behind the navigation's count.

- GET /notifications — the API's grouped read (notifications/service/grouping.py and
  render.grouped_json, as GET /api/v2/notifications), turned into sentences. Seeing the
  first page moves the `notifications` marker (as POST /api/v1/markers does) to its
  newest notification; what was new until then stays highlighted on this page.
- GET /web/stream — the user's notification stream (and the `direct` stream's
  `conversation` events, for the Messages links) as server-sent events, the API's
  streaming machinery (notifications/streaming.sse_response) with the session cookie
  for a token. It ends when the session is revoked, like any stream.
- GET /web/unread — `{"count": n, "messages": m}` (m: unread conversations), read by
  static/js/live.js when the stream says something happened, and polled when no
  stream can be kept open.

The last two are the live connection: the gate does not count them (auth/gate.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from shutter.auth import service as auth
from shutter.infra.deps import Ctx, ReadSession
from shutter.infra.errors import ApiError
from shutter.infra.http import json_response
from shutter.infra.pagination import PageParams
from shutter.infra.params import params
from shutter.notifications import render as notification_render
from shutter.notifications import service as notifications
from shutter.notifications.service import grouping, markers, requests
from shutter.notifications.streaming import sse_response
from shutter.notifications.streams import resolve_stream
from shutter.web.routing import web_router
from shutter.web.session import FRAGMENT_HEADER, SignedIn
from shutter.web.templating import render
from shutter.web.unread import nav_counts
from shutter.web.views import local_path, plain_text

router = web_router()


# What each type says after its senders ("ana and 4 others …").
_SAYS = {
    notifications.FAVOURITE: "liked your post",
    notifications.FOLLOW: "started following you",
    notifications.FOLLOW_REQUEST: "asked to follow you",
    notifications.MENTION: "mentioned you",
    notifications.ADMIN_SIGN_UP: "signed up",
    notifications.ADMIN_REPORT: "filed a report",
}


@dataclass
class Person:
    username: str
    name: str
    path: str
    avatar: str


@dataclass
class NoteView:
    """One line of the page: a group of notifications as a sentence."""

    key: str
    type: str
    people: list[Person]
    others: int  # senders beyond the first
    says: str
    at: str | None
    unread: bool
    post_path: str | None = None
    thumb: str | None = None
    thumb_alt: str = ""
    excerpt: str | None = None  # a mention's words, as text
    warning: str | None = None  # a moderator's warning text
    filtered: str | None = None  # the titles of the viewer's `warn` filters its post matches


def _person(account: dict[str, Any]) -> Person:
    return Person(
        username=account["acct"],
        name=account.get("display_name") or account["username"],
        path=local_path(account["url"]),
        avatar=account.get("avatar_static") or account.get("avatar") or "",
    )


def _text_of(html: str) -> str:
    """A mention's caption as plain text, shortened (the template escapes it again)."""
    text = plain_text(html)
    return text if len(text) <= 200 else text[:199] + "…"


def note_views(body: dict[str, Any], *, read_up_to: int) -> list[NoteView]:
    people = {a["id"]: a for a in body["accounts"]}
    statuses = {s["id"]: s for s in body["statuses"]}
    out: list[NoteView] = []
    for group in body["notification_groups"]:
        senders = [_person(people[i]) for i in group["sample_account_ids"] if i in people]
        kind = group["type"]
        note = NoteView(
            key=group["group_key"],
            type=kind,
            people=senders[:1],
            others=max(0, group["notifications_count"] - 1),
            says=_SAYS.get(kind, "sent you a notification"),
            at=group.get("latest_page_notification_at"),
            unread=int(group["most_recent_notification_id"]) > read_up_to,
        )
        status = statuses.get(group.get("status_id"))
        if status is not None:
            note.post_path = local_path(status["url"])
            media = status.get("media_attachments") or []
            if media:
                note.thumb = media[0].get("preview_url") or media[0].get("url")
                note.thumb_alt = media[0].get("description") or ""
            if kind == notifications.MENTION:
                note.excerpt = _text_of(status.get("content") or "")
                # Mastodon's type for a reply and a private message is a mention; on
                # Shutter they are a comment and a message.
                if status.get("visibility") == "direct":
                    note.says = "sent you a message"
                elif status.get("in_reply_to_id"):
                    note.says = "commented"
            if status.get("filtered"):
                # Its words and picture stay behind the filter; the post page reveals them.
                note.filtered = ", ".join(r["filter"]["title"] for r in status["filtered"])
                note.thumb, note.excerpt = None, None
        if kind == notifications.MODERATION_WARNING:
            warning = group.get("moderation_warning") or {}
            note.says = "A moderator warned your account"
            note.people = []
            note.others = 0
            note.warning = warning.get("text") or None
        out.append(note)
    return out


@router.get("/notifications")
async def notifications_page(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    page: PageParams = params(PageParams),
) -> Response:
    account = web.account
    assert account is not None
    read_up_to = await markers.last_read_id(
        session, account_id=account.id, timeline="notifications"
    )
    found = await grouping.list_groups(
        session, account_id=account.id, filters=notifications.Filters(), page=page
    )
    body = await notification_render.grouped_json(session, ctx, found.groups, viewer=account)
    notes = note_views(body, read_up_to=read_up_to)
    newest = max((g.latest.id for g in found.groups), default=0)
    if page.max_id is None and newest > read_up_to:
        # Seen: the marker moves as POST /api/v1/markers moves it.
        async with ctx.db.write() as writing:
            await markers.do_set_markers(
                writing, account_id=account.id, positions={"notifications": str(newest)}
            )
        web.unread = 0
    next_url = None
    if found.cursor_ids and len(found.groups) >= page.limit:
        next_url = f"/notifications?max_id={min(found.cursor_ids)}"
    context: dict[str, Any] = {"notes": notes, "next_url": next_url}
    if request.headers.get(FRAGMENT_HEADER) == "notifications":
        return render(request, web, "partials/notification_list.html", context)
    # The link to filtered notifications (pages/notification_requests.py), when any wait.
    context["filtered"] = await requests.summary(session, account_id=account.id)
    return render(request, web, "pages/notifications.html", context, nav="notifications")


@router.get("/web/unread")
async def unread(session: ReadSession, web: SignedIn) -> Response:
    assert web.account is not None
    count, messages = await nav_counts(session, web.account.id)
    return json_response({"count": count, "messages": messages})


@router.get("/web/stream")
async def stream(ctx: Ctx, session: ReadSession, web: SignedIn) -> Response:
    assert web.account is not None and web.raw_token is not None
    caller = await auth.authenticate(session, web.raw_token)
    if caller is None or caller.account is None:
        raise ApiError(401, "Log in to do this")
    notes = resolve_stream("user:notification", account=caller.account)
    # Also the `direct` stream's events (same channel): the Messages links' count.
    both = replace(notes, events=frozenset({"notification", "conversation"}))
    return await sse_response(ctx, web.raw_token, caller, both)
