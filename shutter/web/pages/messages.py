"""Direct messages, Instagram's inbox over Mastodon's conversations.

- GET /messages — the inbox: the API's read (conversations.render.inbox_page, as
  GET /api/v1/conversations), each conversation's people, last message and unread mark.
- GET /messages/<id> — one conversation: its messages (conversations.messages_query,
  read like any list of posts by `page_of_statuses`, so who may see what is the posts'
  rule), oldest first as a chat; opening it marks it read (as POST …/read does).
- GET /messages/new?to=<username> — a first message to someone (the profile's "Message"
  link); with a conversation with just them already, that conversation instead.
- POST /web/messages/<id>/send — a message in a conversation: a `direct` reply to its
  last message, addressed to its people, through posts.do_create_post (the API's rules).
- POST /web/messages — a first message: a `direct` post addressed to one person, after
  conversations.check_may_message (blocked or suspended: refused, saying so).

A message names its people by mentions ("@bo …"), as on Mastodon: that is how a direct
post is addressed, and how a reply in a group keeps everyone (a comment reaches only
those it addresses). The pages leave those opening mentions out (web/message_views.py).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from shutter import policies
from shutter.accounts import service as accounts
from shutter.accounts.render import render_account
from shutter.conversations import service as conversations
from shutter.conversations.render import inbox_page, render_conversations
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import ApiError, unprocessable
from shutter.infra.pagination import PageParams
from shutter.infra.params import params
from shutter.posts import service as posts
from shutter.posts.models import Post
from shutter.posts.render import page_of_statuses, render_status
from shutter.web.message_forms import MessageForm, NewMessageForm
from shutter.web.message_views import addressed, inbox_item, message, person, title_of
from shutter.web.routing import done, see_other, web_router
from shutter.web.session import FRAGMENT_HEADER, SignedIn, SignedInPosted
from shutter.web.templating import render

router = web_router()

# A chat shows more than a feed's twenty at once.
THREAD_PAGE = 40


def _address(usernames: list[str], text: str) -> str:
    return " ".join([*(f"@{u}" for u in usernames), text.strip()])


def _text(form: MessageForm | NewMessageForm) -> str:
    # The posts service checks the whole caption, which holds the address too.
    if not form.status.strip():
        raise unprocessable("Write a message first", field="status")
    return form.status


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


@router.get("/messages/new")
async def new_message(
    request: Request, ctx: Ctx, session: ReadSession, web: SignedIn, to: str = ""
) -> Response:
    assert web.account is not None
    limit = ctx.settings.max_caption_chars
    context: dict[str, Any] = {"to": None, "refusal": None, "query": to[:320], "room": limit}
    if to.strip():
        target = await accounts.lookup_account(session, to[:320])
        existing = await conversations.conversation_with(
            session, account_id=web.account.id, others=[target.id]
        )
        if existing is not None:
            return see_other(f"/messages/{existing.id}")
        context["to"] = person(await render_account(ctx, target))
        context["room"] = limit - len(_address([target.username], ""))
        try:
            await conversations.check_may_message(session, sender_id=web.account.id, target=target)
        except ApiError as refused:
            context["refusal"] = refused.message
            return render(
                request,
                web,
                "pages/new_message.html",
                context,
                nav="messages",
                status=refused.status,
            )
    return render(request, web, "pages/new_message.html", context, nav="messages")


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
    [conversation] = await render_conversations(session, ctx, [row], viewer=me)
    if "limit" not in page.model_fields_set:
        page = page.model_copy(update={"limit": THREAD_PAGE})
    statuses, cursors = await page_of_statuses(
        session, ctx, conversations.messages_query(conversation_id=row.id), Post.id, page, viewer=me
    )
    usernames = addressed(conversation, viewer)
    shown = [message(s, viewer_id=viewer["id"], usernames=usernames) for s in reversed(statuses)]
    if row.unread and page.max_id is None:
        async with ctx.db.write() as writing:
            await conversations.do_mark_read(writing, account_id=me.id, conversation_id=row.id)
        web.unread_messages = max(0, web.unread_messages - 1)
    people = [person(a) for a in conversation["accounts"]]
    context = {
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
    session: WriteSession,
) -> Response:
    me = web.account
    assert me is not None
    row = await conversations.access_conversation(
        session, account_id=me.id, conversation_id=conversation_id
    )
    [conversation] = await render_conversations(session, ctx, [row], viewer=me)
    people = conversation["accounts"]
    if not people:
        raise unprocessable("No one in this conversation can receive messages")
    last = conversation["last_status"]
    item = await posts.do_create_post(
        session,
        ctx=ctx,
        author=me,
        new=posts.NewPost(
            caption=_address([a["username"] for a in people], _text(form)),
            media_ids=[],
            in_reply_to_id=last["id"] if last else None,
            visibility=policies.DIRECT,
        ),
    )
    body = await render_status(session, ctx, item, viewer=me)
    # Filed as the thread it was written in unless someone left it since.
    now = await conversations.conversation_with(
        session, account_id=me.id, others=[int(a["id"]) for a in people]
    )
    to = f"/messages/{now.id}#message-{item.post.id}" if now else "/messages"
    return done(request, to, body)


@router.post("/web/messages")
async def start(
    request: Request,
    ctx: Ctx,
    form: NewMessageForm = params(NewMessageForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    me = web.account
    assert me is not None
    target = await accounts.lookup_account(session, form.to)
    await conversations.check_may_message(session, sender_id=me.id, target=target)
    item = await posts.do_create_post(
        session,
        ctx=ctx,
        author=me,
        new=posts.NewPost(
            caption=_address([target.username], _text(form)),
            media_ids=[],
            visibility=policies.DIRECT,
        ),
    )
    body = await render_status(session, ctx, item, viewer=me)
    found = await conversations.conversation_with(session, account_id=me.id, others=[target.id])
    to = f"/messages/{found.id}#message-{item.post.id}" if found else "/messages"
    return done(request, to, body)
