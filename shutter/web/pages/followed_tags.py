"""Following hashtags on the website: Follow / Following on a hashtag's page, and the
list of the hashtags one follows (`/settings/tags`), each with its button.

The posts service's own functions (`tag_follows.do_follow_tag`, `do_unfollow_tag`,
`followed_tags_query`), as POST /api/v1/tags/:name/follow and GET /api/v1/followed_tags
use them; a followed hashtag's public posts come to Home (feed/jobs.fanout_tags). The
answer to a script is the Tag entity, whose `following` static/js/follow.js shows.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from shutter.infra.deps import Ctx, ReadSession, WriteSession
from shutter.infra.params import params
from shutter.posts import tags
from shutter.posts.models import TagFollow
from shutter.posts.service import tag_follows
from shutter.web.profile_forms import FollowForm
from shutter.web.routing import done, safe_next, web_router
from shutter.web.session import SignedIn, SignedInPosted
from shutter.web.templating import render

router = web_router()

# Mastodon's followed_tags gives 200 at most in a page; one page is the whole list here.
SHOWN = 200


@router.post("/web/tags/{name}/follow")
async def follow_tag(
    request: Request,
    ctx: Ctx,
    name: str,
    # The parameters first: bad input is a 422 before the CSRF check and the session.
    form: FollowForm = params(FollowForm),
    *,
    web: SignedInPosted,
    session: WriteSession,
) -> Response:
    assert web.account is not None
    act = tag_follows.do_follow_tag if form.follow == "true" else tag_follows.do_unfollow_tag
    tag = await act(session, account=web.account, name=name)
    [body] = await tags.tags_json(session, ctx.settings, [tag], viewer=web.account)
    return done(request, safe_next(form.next, f"/tags/{quote(tag.display_name)}"), body)


@router.get("/settings/tags")
async def followed_tags_page(
    request: Request, ctx: Ctx, session: ReadSession, web: SignedIn
) -> Response:
    assert web.account is not None
    query = tag_follows.followed_tags_query(account_id=web.account.id)
    rows = (await session.execute(query.order_by(TagFollow.id.desc()).limit(SHOWN))).all()
    found = [tag for tag, _ in rows]
    shown = await tags.tags_json(session, ctx.settings, found, viewer=web.account)
    return render(request, web, "pages/followed_tags.html", {"tags": shown})
