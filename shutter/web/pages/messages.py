"""Direct messages, Instagram's inbox over Mastodon's conversations.

- GET /messages — the inbox: the API's read (conversations.render.inbox_page, as
  GET /api/v1/conversations), each conversation's people, last message and unread mark.
- GET /messages/<id> — one conversation: its messages (conversations.messages_query,
  read like any list of posts by `page_of_statuses`, so who may see what is the posts'
  rule), oldest first as a chat; opening it marks it read (as POST …/read does).
- GET /messages/new?to=<username>[&to=…] — a first message to someone (the profile's
  "Message" link) or to a group (up to 10 people); with a conversation with exactly
  them already, that conversation instead.
- POST /web/messages/<id>/send — a message in a conversation: a `direct` reply to its
  last message, addressed to its people, through posts.do_create_post (the API's rules).
  With photos or videos it is a `direct` post of its own addressed to the same people
  (a comment is text only), which files it in the same conversation.
- POST /web/messages — a first message: a `direct` post addressed to its people, after
  conversations.check_may_message for each (blocked or suspended: refused, naming them).

Both forms may carry 1–4 photos or videos (`files[]`, alt texts `descriptions[]`),
stored and processed by Compose's pipeline (web/message_sending.py) before the post is
made; a refused file shows the page again with the reason and posts nothing.

A message names its people by mentions ("@bo …"), as on Mastodon: that is how a direct
post is addressed, and how a reply in a group keeps everyone (a comment reaches only
those it addresses). The pages leave those opening mentions out (web/message_views.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from shutter import policies
from shutter.accounts.models import Account
from shutter.accounts.render import render_account
from shutter.conversations import service as conversations
from shutter.conversations.models import Conversation
from shutter.conversations.render import inbox_page, render_conversations
from shutter.infra.context import AppContext
from shutter.infra.deps import Ctx, ReadSession
from shutter.infra.errors import ApiError, unprocessable
from shutter.infra.pagination import PageParams
from shutter.infra.params import params
from shutter.posts import service as posts
from shutter.posts.models import Post
from shutter.posts.render import page_of_statuses, render_status
from shutter.web.message_forms import MessageForm, NewMessageForm
from shutter.web.message_sending import (
    chosen,
    media_limit,
    recipients,
    store_media,
    usernames,
)
from shutter.web.message_views import addressed, inbox_item, message, person, title_of
from shutter.web.routing import done, see_other, wants_json, web_router
from shutter.web.session import FRAGMENT_HEADER, SignedIn, SignedInPosted, WebSession
from shutter.web.templating import render

router = web_router()

# A chat shows more than a feed's twenty at once.
THREAD_PAGE = 40


def _address(usernames: list[str], text: str) -> str:
    return " ".join([*(f"@{u}" for u in usernames), text.strip()])


def _caption(ctx: AppContext, names: list[str], form: MessageForm, *, media: bool) -> str:
    """The message's caption: its address, then its text (none needed with a photo).
    Checked here too, so a caption too long is said before any file is stored."""
    if not form.status.strip() and not media:
        raise unprocessable("Write a message first", field="status")
    caption = _address(names, form.status)
    posts.check_caption(caption, limit=ctx.settings.max_caption_chars)
    return caption


def _attach_context(ctx: AppContext) -> dict[str, Any]:
    return {
        "max_media": media_limit(ctx),
        "alt_limit": ctx.settings.max_media_description_chars,
        "error": None,
        "draft": "",
    }


@router.get("/messages")
async def inbox(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    page: PageParams = params(PageParams),
) -> Response:
    assert web.account is not None and web.viewer is not None
    found, cursors = await inbox_page(session, ctx, page, viewer=web.account)
    items = [inbox_item(c, viewer=web.viewer) for c in found]
    next_url = None
    if cursors and len(found) >= page.limit:
        next_url = f"/messages?max_id={cursors[-1]}"
    context = {"items": items, "next_url": next_url}
    if request.headers.get(FRAGMENT_HEADER) == "inbox":
        return render(request, web, "partials/inbox_list.html", context)
    return render(request, web, "pages/messages.html", context, nav="messages")


def _new_context(ctx: AppContext, *, query: str = "", **extra: Any) -> dict[str, Any]:
    return {
        **_attach_context(ctx),
        "people": [],
        "refusal": None,
        "query": query,
        "room": ctx.settings.max_caption_chars,
        **extra,
    }


@router.get("/messages/new")
async def new_message(request: Request, ctx: Ctx, session: ReadSession, web: SignedIn) -> Response:
    assert web.account is not None
    # `?to=ana&to=bo`; each may also hold several names ("ana, bo").
    query = " ".join(request.query_params.getlist("to"))[:2000]
    context = _new_context(ctx, query=query)
    if not query.strip():
        return render(request, web, "pages/new_message.html", context, nav="messages")
    try:
        targets = await recipients(session, sender=web.account, names=usernames(query))
    except ApiError as refused:
        context["refusal"] = refused.message
        return render(
            request, web, "pages/new_message.html", context, nav="messages", status=refused.status
        )
    existing = await conversations.conversation_with(
        session, account_id=web.account.id, others=[t.id for t in targets]
    )
    if existing is not None:
        return see_other(f"/messages/{existing.id}")
    context["people"] = [person(await render_account(ctx, t)) for t in targets]
    context["room"] -= len(_address([t.username for t in targets], ""))
    return render(request, web, "pages/new_message.html", context, nav="messages")


async def _thread_context(
    session: AsyncSession,
    ctx: AppContext,
    me: Account,
    viewer: dict[str, Any],
    row: Conversation,
    page: PageParams,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What conversation.html shows of `row`, and its Conversation JSON."""
    [conversation] = await render_conversations(session, ctx, [row], viewer=me)
    if "limit" not in page.model_fields_set:
        page = page.model_copy(update={"limit": THREAD_PAGE})
    statuses, cursors = await page_of_statuses(
        session, ctx, conversations.messages_query(conversation_id=row.id), Post.id, page, viewer=me
    )
    names = addressed(conversation, viewer)
    shown = [message(s, viewer_id=viewer["id"], usernames=names) for s in reversed(statuses)]
    people = [person(a) for a in conversation["accounts"]]
    context = {
        **_attach_context(ctx),
        "conversation_id": conversation["id"],
        "people": people,
        "title": title_of(people),
        "messages": shown,
        "older_url": (
            f"/messages/{row.id}?max_id={cursors[-1]}"
            if cursors and len(statuses) >= page.limit
            else None
        ),
        # What the address ("@ana @bo ") leaves of a caption's characters.
        "room": ctx.settings.max_caption_chars - len(_address([p.username for p in people], "")),
    }
    return context, conversation


@router.get("/messages/{conversation_id:id}")
async def conversation_page(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    conversation_id: int,
    page: PageParams = params(PageParams),
) -> Response:
    me, viewer = web.account, web.viewer
    assert me is not None and viewer is not None
    row = await conversations.access_conversation(
        session, account_id=me.id, conversation_id=conversation_id
    )
    context, _ = await _thread_context(session, ctx, me, viewer, row, page)
    if row.unread and page.max_id is None:
        async with ctx.db.write() as writing:
            await conversations.do_mark_read(writing, account_id=me.id, conversation_id=row.id)
        web.unread_messages = max(0, web.unread_messages - 1)
    if request.headers.get(FRAGMENT_HEADER) == "messages":
        return render(request, web, "partials/message_list.html", context)
    return render(request, web, "pages/conversation.html", context, nav="messages")


@router.post("/web/messages/{conversation_id:id}/send")
async def send(
    request: Request,
    ctx: Ctx,
    conversation_id: int,
    # The parameters first: bad input is a 422 before the CSRF check and the session.
    form: MessageForm = params(MessageForm),
    *,
    web: SignedInPosted,
) -> Response:
    me, viewer = web.account, web.viewer
    assert me is not None and viewer is not None
    # Sessions of its own, as Compose's Share: files are stored and processed (committed)
    # before the post is written.
    async with ctx.db.read() as session:
        row = await conversations.access_conversation(
            session, account_id=me.id, conversation_id=conversation_id
        )
        [conversation] = await render_conversations(session, ctx, [row], viewer=me)
    people = conversation["accounts"]
    if not people:
        raise unprocessable("No one in this conversation can receive messages")
    files = chosen(form.files)
    last = conversation["last_status"]
    try:
        caption = _caption(ctx, [a["username"] for a in people], form, media=bool(files))
        media_ids = await store_media(ctx, me, files, form.descriptions or [])
        async with ctx.db.write() as session:
            item = await posts.do_create_post(
                session,
                ctx=ctx,
                author=me,
                new=posts.NewPost(
                    caption=caption,
                    media_ids=media_ids,
                    # A comment is text only: a message with photos is a post of its own,
                    # addressed to the same people, so filed in the same conversation.
                    in_reply_to_id=last["id"] if last and not media_ids else None,
                    visibility=policies.DIRECT,
                ),
            )
            body = await render_status(session, ctx, item, viewer=me)
            # Filed as the thread it was written in unless someone left it since.
            now = await conversations.conversation_with(
                session, account_id=me.id, others=[int(a["id"]) for a in people]
            )
    except ApiError as exc:
        if wants_json(request):
            raise
        async with ctx.db.read() as session:
            row = await conversations.access_conversation(
                session, account_id=me.id, conversation_id=conversation_id
            )
            context, _ = await _thread_context(session, ctx, me, viewer, row, PageParams())
        context |= {"error": exc.message, "draft": form.status}
        return render(
            request, web, "pages/conversation.html", context, nav="messages", status=exc.status
        )
    to = f"/messages/{now.id}#message-{item.post.id}" if now else "/messages"
    return done(request, to, body)


async def _start(
    ctx: AppContext, web: WebSession, form: NewMessageForm, names: list[str]
) -> tuple[dict[str, Any], str]:
    """The first message's Status and where to go after it."""
    me = web.account
    assert me is not None
    files = chosen(form.files)
    if files:  # said before any file is stored
        async with ctx.db.read() as session:
            await recipients(session, sender=me, names=names)
    _caption(ctx, names, form, media=bool(files))  # said before any file is stored
    media_ids = await store_media(ctx, me, files, form.descriptions or [])
    async with ctx.db.write() as session:
        targets = await recipients(session, sender=me, names=names)
        item = await posts.do_create_post(
            session,
            ctx=ctx,
            author=me,
            new=posts.NewPost(
                # Addressed by the names as the accounts spell them.
                caption=_caption(ctx, [t.username for t in targets], form, media=bool(media_ids)),
                media_ids=media_ids,
                visibility=policies.DIRECT,
            ),
        )
        body = await render_status(session, ctx, item, viewer=me)
        found = await conversations.conversation_with(
            session, account_id=me.id, others=[t.id for t in targets]
        )
    to = f"/messages/{found.id}#message-{item.post.id}" if found else "/messages"
    return body, to


@router.post("/web/messages")
async def start(
    request: Request,
    ctx: Ctx,
    form: NewMessageForm = params(NewMessageForm),
    *,
    web: SignedInPosted,
) -> Response:
    assert web.account is not None
    query = " ".join(t for t in (form.to, form.add) if t.strip())
    try:
        body, to = await _start(ctx, web, form, usernames(form.to, form.add))
    except ApiError as exc:
        if wants_json(request):
            raise
        context = _new_context(ctx, query=query, error=exc.message, draft=form.status)
        return render(
            request, web, "pages/new_message.html", context, nav="messages", status=exc.status
        )
    return done(request, to, body)
