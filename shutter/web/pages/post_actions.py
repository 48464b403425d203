"""What a person does to a post from any page: like and save (and, an author, pin it
to the top of their profile's grid).

One route per action serves both ways a page sends it:

- a plain form post (no script): the button carries the state it asks for
  (`name=liked value=true|false`), the answer is 303 back to `next` (#post-<id>);
- the same form sent by static/js/actions.js with `fetch` (`Accept: application/json`,
  the CSRF token in `X-CSRF-Token`): the answer is the post's Status JSON as the API
  gives it, from which the module sets `aria-pressed` and the count.

The rules are the posts service's (`likes.do_favourite` …), as for the API's routes.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from shutter.infra.deps import Ctx, WriteSession
from shutter.infra.params import params
from shutter.posts.render import render_status
from shutter.posts.service import likes, pins
from shutter.web.forms import CsrfForm, LikeForm, PinForm, SaveForm
from shutter.web.routing import done, safe_next, web_router
from shutter.web.session import SignedInPosted

router = web_router()


def _back(form: CsrfForm, post_id: int) -> str:
    return f"{safe_next(form.next, '/home').split('#', 1)[0]}#post-{post_id}"


@router.post("/web/posts/{status_id:id}/like")
async def like(
    request: Request,
    ctx: Ctx,
    status_id: int,
    # The parameters first: bad input is a 422 before the CSRF check and the session.
    form: LikeForm = params(LikeForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    act = likes.do_favourite if form.liked == "true" else likes.do_unfavourite
    item = await act(session, actor=web.account, post_id=status_id)
    body = await render_status(session, ctx, item, viewer=web.account)
    return done(request, _back(form, status_id), body)


@router.post("/web/posts/{status_id:id}/save")
async def save(
    request: Request,
    ctx: Ctx,
    status_id: int,
    # The parameters first: bad input is a 422 before the CSRF check and the session.
    form: SaveForm = params(SaveForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    act = likes.do_bookmark if form.saved == "true" else likes.do_unbookmark
    item = await act(session, actor=web.account, post_id=status_id)
    body = await render_status(session, ctx, item, viewer=web.account)
    return done(request, _back(form, status_id), body)


@router.post("/web/posts/{status_id:id}/pin")
async def pin(
    request: Request,
    ctx: Ctx,
    status_id: int,
    # The parameters first: bad input is a 422 before the CSRF check and the session.
    form: PinForm = params(PinForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    act = pins.do_pin if form.pinned == "true" else pins.do_unpin
    item = await act(session, actor=web.account, post_id=status_id)
    body = await render_status(session, ctx, item, viewer=web.account)
    return done(request, _back(form, status_id), body)
