"""The post page at Mastodon's URL `/@username/<id>`: the post, its comments (add,
delete one's own), who liked it, and for its author: edit the caption (with the history
the posts service keeps) and delete it.

Reads are the API's: `access_post` and `render_status` (GET /api/v1/statuses/:id), the
thread from `comments.context` (…/context), `likes.favourited_by` (…/favourited_by),
`edits.edit_history` (…/history). Actions call the services the API's routes call, with
forms that work without scripts; deletions ask first (in place, or on a page of
their own without scripts).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from shutter.accounts.schemas import account_json
from shutter.infra.context import AppContext
from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.errors import not_found
from shutter.infra.pagination import AccountPageParams
from shutter.infra.params import OptionalIdParam, QueryParams, params
from shutter.posts import comments
from shutter.posts import service as posts
from shutter.posts.render import render_edits, render_items, render_status, viewer_filters
from shutter.posts.schemas import HydratedPost
from shutter.posts.service import edits, likes
from shutter.web.post_forms import CaptionForm, CommentForm, DeleteForm
from shutter.web.routing import done, see_other, web_router
from shutter.web.session import SignedIn, SignedInPosted, WebSession
from shutter.web.templating import render
from shutter.web.views import local_path, post_view

router = web_router()


async def _by_author(
    session: AsyncSession, web: WebSession, username: str, post_id: int
) -> HydratedPost:
    """The post or comment the viewer may see, under its author's name only (else 404)."""
    item = await posts.access_post(session, post_id, viewer=web.account)
    if item.author.username.lower() != username.lower():
        raise not_found("Post")
    return item


async def _the_post(
    session: AsyncSession, web: WebSession, username: str, post_id: int
) -> HydratedPost:
    """A post (not a comment) the viewer may see, under its author's name only."""
    item = await _by_author(session, web, username, post_id)
    if item.post.root_id is not None:
        raise not_found("Post")
    return item


async def _page_data(
    session: AsyncSession, ctx: AppContext, web: WebSession, item: HydratedPost
) -> dict[str, Any]:
    me = web.account
    assert me is not None
    status = await render_status(session, ctx, item, viewer=me, filter_context="thread")
    thread = await comments.context(session, post_id=item.post.id, viewer=me)
    # The viewer's `thread` filters, as GET …/context applies them: hidden comments
    # leave, warned ones come with `filtered` and show collapsed.
    filters = await viewer_filters(session, me)
    replies = filters.apply(
        await render_items(session, ctx, thread.descendants, viewer=me), "thread"
    )
    own = item.author.id == me.id
    history: list[dict[str, Any]] = []
    if status.get("edited_at"):
        _, versions = await edits.edit_history(session, post_id=item.post.id, viewer=me)
        history = await render_edits(ctx, item, versions)
        history.reverse()  # newest first, as the page reads
    return {
        "p": post_view(status),
        "own": own,
        "comments": [
            {
                "status": r,
                "author_path": local_path(r["account"]["url"]),
                "deletable": own or r["account"]["id"] == str(me.id),
            }
            for r in replies
        ],
        "history": history,
        "caption_source": item.post.caption if own else "",
        "caption_limit": ctx.settings.max_caption_chars,
    }


async def _top_of(session: AsyncSession, web: WebSession, item: HydratedPost) -> HydratedPost:
    """The post a comment is under (itself for a post)."""
    if item.post.root_id is None:
        return item
    return await posts.access_post(session, item.post.root_id, viewer=web.account)


def _comment_path(top: HydratedPost, comment_id: int) -> str:
    return f"{_post_path(top)}#comment-{comment_id}"


class PostPageQuery(QueryParams):
    reply_to: OptionalIdParam = None  # a comment to answer (the Reply link)


def _replying_to(comments: list[dict[str, Any]], reply_to: str | None) -> dict[str, Any] | None:
    """The shown comment the form answers, if the Reply link named one."""
    return next((c["status"] for c in comments if c["status"]["id"] == reply_to), None)


@router.get("/@{username}/{post_id:id}")
async def post_page(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    username: str,
    post_id: int,
    query: PostPageQuery = params(PostPageQuery),
) -> Response:
    item = await _by_author(session, web, username, post_id)
    if item.post.root_id is not None:
        # A comment's URL (its Status `url`, which apps and notifications link to) opens
        # the post it is under, at the comment.
        return see_other(_comment_path(await _top_of(session, web, item), item.post.id))
    data = await _page_data(session, ctx, web, item)
    data["replying_to"] = _replying_to(data["comments"], query.reply_to)
    return render(request, web, "pages/post.html", {**data, "return_to": data["p"].path})


@router.get("/@{username}/{post_id:id}/likes")
async def likers_page(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    username: str,
    post_id: int,
    page: AccountPageParams = params(AccountPageParams),
) -> Response:
    item = await _the_post(session, web, username, post_id)
    found = await likes.favourited_by(session, post_id=item.post.id, viewer=web.account, page=page)
    path = f"/@{item.author.username}/{item.post.id}"
    next_url = (
        f"{path}/likes?max_id={found.cursor_ids[-1]}"
        if found.cursor_ids and len(found.cursor_ids) >= page.limit
        else None
    )
    return render(
        request,
        web,
        "pages/likes.html",
        {
            "post_path": path,
            "people": [account_json(a, ctx.settings) for a in found.accounts],
            "next_url": next_url,
        },
    )


def _post_path(item: HydratedPost) -> str:
    return f"/@{item.author.username}/{item.post.id}"


@router.post("/web/posts/{status_id:id}/comment")
async def add_comment(
    request: Request,
    ctx: Ctx,
    status_id: int,
    # The parameters first: bad input is a 422 before the CSRF check and the session.
    form: CommentForm = params(CommentForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    parent = await posts.access_post(session, status_id, viewer=web.account)
    item = await posts.do_create_post(
        session,
        ctx=ctx,
        author=web.account,
        new=posts.NewPost(caption=form.status, media_ids=[], in_reply_to_id=str(status_id)),
    )
    body = await render_status(session, ctx, item, viewer=web.account)
    to = _comment_path(await _top_of(session, web, parent), item.post.id)
    return done(request, to, body)


@router.post("/web/posts/{status_id:id}/delete")
async def delete_post(
    request: Request,
    ctx: Ctx,
    status_id: int,
    form: DeleteForm = params(DeleteForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    if not form.confirmed:
        return await _ask_before_deleting(request, session, web, status_id)
    item = await posts.do_delete_post(session, ctx=ctx, actor=web.account, post_id=status_id)
    if item.post.root_id is None:
        to = f"/@{web.account.username}"
    else:
        to = f"{_post_path(await _top_of(session, web, item))}#comments"
    return done(request, to, {"id": str(item.post.id), "location": to})


async def _ask_before_deleting(
    request: Request, session: AsyncSession, web: WebSession, status_id: int
) -> Response:
    """The question the page's script asks in place, for a browser without scripts;
    refused as deleting would be."""
    assert web.account is not None
    item, _ = await posts.deletable(session, actor=web.account, post_id=status_id)
    root = await _top_of(session, web, item)
    what = "post" if item is root else "comment"
    question = (
        "Delete this post, its photos and its comments? This cannot be undone."
        if item is root
        else "Delete this comment? This cannot be undone."
    )
    context = {
        "title": f"Delete {what}?",
        "question": question,
        "yes": f"Yes, delete {what}",
        "action": f"/web/posts/{status_id}/delete",
        "back": _post_path(root) + ("" if item is root else "#comments"),
    }
    return render(request, web, "pages/confirm.html", context)


@router.post("/web/posts/{status_id:id}/caption")
async def edit_caption(
    request: Request,
    ctx: Ctx,
    status_id: int,
    form: CaptionForm = params(CaptionForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    item = await edits.do_edit_post(
        session,
        ctx=ctx,
        editor=web.account,
        post_id=status_id,
        caption=form.status,
        media_ids=None,
        descriptions={},
    )
    body = await render_status(session, ctx, item, viewer=web.account)
    return done(request, _post_path(item), body)
