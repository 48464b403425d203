"""The moderation and administration pages (`/admin/…`), for moderators and admins.

Each page asks the role the admin API asks (accounts/permissions.py: `require`), so the
website has no second set of rules: a visitor goes to log in, anyone else without the
permission gets the 403 page. Data comes from the moderation service and its renderers
(moderation/render.py: Admin::Account, Admin::Report, the audit log's entries), the
measures service, the invites service and the instance's rules; the actions are in
admin_actions.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from shutter.accounts import service as accounts
from shutter.accounts.models import Account
from shutter.accounts.permissions import ROLES, Permission, may, outranks, require
from shutter.accounts.service import invites
from shutter.infra.db import utcnow
from shutter.infra.deps import Ctx, ReadSession
from shutter.infra.pagination import PageParams
from shutter.infra.params import params
from shutter.instance import rules as rules_service
from shutter.moderation import render
from shutter.moderation import service as moderation
from shutter.moderation.service import accounts as admin_accounts
from shutter.moderation.service import measures
from shutter.moderation.service import reports as report_service
from shutter.posts import render as post_render
from shutter.posts import service as posts
from shutter.posts.models import Post
from shutter.web.admin_forms import EXPIRES_IN, MAX_USES, AccountListQuery, ReportListQuery
from shutter.web.routing import web_router
from shutter.web.session import SignedIn, WebSession
from shutter.web.templating import render as render_page
from shutter.web.views import post_views

router = web_router()

PAGE = 40
ACTIONS = (
    ("none", "Warn only"),
    ("sensitive", "Mark their media sensitive"),
    ("disable", "Disable log-in"),
    ("silence", "Limit (silence)"),
    ("suspend", "Suspend"),
)


def staff_member(web: WebSession, permission: Permission) -> Account:
    """The signed-in account if its role grants `permission` (the admin API's rule),
    else the 403 page."""
    assert web.account is not None
    return require(web.account, permission)


def sections(me: Account) -> list[tuple[str, str, str]]:
    """The admin pages `me` may open: (key, path, label)."""
    found = []
    for key, path, label, permission in (
        ("dashboard", "/admin", "Dashboard", Permission.VIEW_DASHBOARD),
        ("reports", "/admin/reports", "Reports", Permission.MANAGE_REPORTS),
        ("accounts", "/admin/accounts", "Accounts", Permission.MANAGE_USERS),
        ("registrations", "/admin/registrations", "Sign-ups", Permission.MANAGE_USERS),
        ("rules", "/admin/rules", "Rules", Permission.MANAGE_RULES),
        ("audit", "/admin/audit", "Audit log", Permission.VIEW_AUDIT_LOG),
    ):
        if may(me, permission):
            found.append((key, path, label))
    return found


def _page(
    request: Request, web: WebSession, me: Account, template: str, section: str, **values: Any
) -> Response:
    return render_page(
        request,
        web,
        template,
        {"sections": sections(me), "section": section, "me_role": me.role, **values},
    )


def _older(request: Request, ids: list[int], page: PageParams) -> str | None:
    """The link to the next (older) page, keeping the filters, or None at the end."""
    if len(ids) < page.limit:
        return None
    query = {k: v for k, v in request.query_params.items() if k not in ("max_id", "min_id")}
    query["max_id"] = str(ids[-1])
    return f"{request.url.path}?{urlencode(query)}"


def _local_domain(base_url: str) -> str:
    return (urlsplit(base_url).hostname or "").lower()


@router.get("/admin")
async def dashboard(request: Request, ctx: Ctx, session: ReadSession, web: SignedIn) -> Response:
    me = staff_member(web, Permission.VIEW_DASHBOARD)
    today = utcnow().date()
    periods = []
    for days in (7, 30):
        period = measures.Period(today - timedelta(days=days - 1), today)
        found = await measures.measures(session, keys=["new_users", "active_users"], period=period)
        periods.append({"days": days, **{m["key"]: int(m["total"]) for m in found}})
    open_reports = await report_service.list_reports(
        session, filters=report_service.ReportFilters(), page=PageParams(limit=PAGE)
    )
    pending = await admin_accounts.list_accounts(
        session,
        filters=admin_accounts.AccountFilters(statuses=["pending"]),
        page=PageParams(limit=PAGE),
        local_domain=_local_domain(ctx.settings.base_url),
    )
    return _page(
        request,
        web,
        me,
        "pages/admin_dashboard.html",
        "dashboard",
        periods=periods,
        open_reports=len(open_reports),
        pending=len(pending),
        many=PAGE,
        mode=ctx.settings.registrations,
    )


@router.get("/admin/reports")
async def reports(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    query: ReportListQuery = params(ReportListQuery),
) -> Response:
    me = staff_member(web, Permission.MANAGE_REPORTS)
    resolved = query.resolved == "true"
    found = await report_service.list_reports(
        session, filters=report_service.ReportFilters(resolved=resolved), page=query
    )
    return _page(
        request,
        web,
        me,
        "pages/admin_reports.html",
        "reports",
        reports=await render.admin_reports_json(session, ctx, found, viewer=me),
        resolved=resolved,
        older=_older(request, [r.id for r in found], query),
    )


@router.get("/admin/reports/{report_id:id}")
async def report(
    request: Request, ctx: Ctx, session: ReadSession, web: SignedIn, report_id: int
) -> Response:
    me = staff_member(web, Permission.MANAGE_REPORTS)
    found = await report_service.access_report(session, report_id)
    [body] = await render.admin_reports_json(session, ctx, [found], viewer=me)
    target = await admin_accounts.access_any_account(session, found.target_account_id)
    return _page(
        request,
        web,
        me,
        "pages/admin_report.html",
        "reports",
        report=body,
        actions=ACTIONS,
        may_act=may(me, Permission.MANAGE_USERS) and outranks(me, target),
    )


@router.get("/admin/accounts")
async def account_list(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    query: AccountListQuery = params(AccountListQuery),
) -> Response:
    me = staff_member(web, Permission.MANAGE_USERS)
    filters = admin_accounts.AccountFilters(
        statuses=[query.status] if query.status else [],
        staff=query.staff == "true",
        username=query.username.strip() or None,
    )
    found = await admin_accounts.list_accounts(
        session, filters=filters, page=query, local_domain=_local_domain(ctx.settings.base_url)
    )
    return _page(
        request,
        web,
        me,
        "pages/admin_accounts.html",
        "accounts",
        people=await render.admin_accounts_json(session, ctx, found),
        query=query,
        statuses=admin_accounts.STATUSES,
        older=_older(request, [a.id for a in found], query),
    )


async def _recent_posts(
    session: Any, ctx: Any, author: Account, me: Account
) -> list[dict[str, Any]]:
    """The author's newest posts as staff review them (any visibility, any state)."""
    post_ids = list(
        await session.scalars(
            posts.account_posts_query(author=author).order_by(Post.id.desc()).limit(12)
        )
    )
    items = await posts.hydrate(session, post_ids, any_author=True)
    rendered: list[dict[str, Any]] = await post_render.render_items(session, ctx, items, viewer=me)
    return rendered


@router.get("/admin/accounts/{account_id:id}")
async def account_page(
    request: Request, ctx: Ctx, session: ReadSession, web: SignedIn, account_id: int
) -> Response:
    me = staff_member(web, Permission.MANAGE_USERS)
    target = await admin_accounts.access_any_account(session, account_id)
    [body] = await render.admin_accounts_json(session, ctx, [target])
    about = []
    for resolved in (False, True):
        about += await report_service.list_reports(
            session,
            filters=report_service.ReportFilters(
                resolved=resolved, target_account_id=str(target.id)
            ),
            page=PageParams(limit=PAGE),
        )
    statuses = await _recent_posts(session, ctx, target, me)
    return _page(
        request,
        web,
        me,
        "pages/admin_account.html",
        "accounts",
        person=body,
        posts=post_views(statuses),
        reports=await render.admin_reports_json(session, ctx, about, viewer=me),
        actions=ACTIONS,
        may_act=outranks(me, target) and target.deleted_at is None,
        may_set_role=may(me, Permission.MANAGE_ROLES) and outranks(me, target),
        may_delete=may(me, Permission.DELETE_USER_DATA) and outranks(me, target),
        deleted=target.deleted_at is not None,
        roles=ROLES,
    )


@router.get("/admin/registrations")
async def registrations(
    request: Request, ctx: Ctx, session: ReadSession, web: SignedIn
) -> Response:
    me = staff_member(web, Permission.MANAGE_USERS)
    pending = await admin_accounts.list_accounts(
        session,
        filters=admin_accounts.AccountFilters(statuses=["pending"]),
        page=PageParams(limit=PAGE),
        local_domain=_local_domain(ctx.settings.base_url),
    )
    own = await invites.own_invites(session, account_id=me.id, limit=PAGE)
    return _page(
        request,
        web,
        me,
        "pages/admin_registrations.html",
        "registrations",
        pending=await render.admin_accounts_json(session, ctx, pending),
        invites=[invites.invite_json(i, ctx.settings) for i in own],
        mode=ctx.settings.registrations,
        max_uses=MAX_USES,
        expires_in=EXPIRES_IN,
    )


@router.get("/admin/rules")
async def rules(request: Request, session: ReadSession, web: SignedIn) -> Response:
    me = staff_member(web, Permission.MANAGE_RULES)
    return _page(
        request,
        web,
        me,
        "pages/admin_rules.html",
        "rules",
        rules=await rules_service.active_rules(session),
    )


@router.get("/admin/audit")
async def audit(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    web: SignedIn,
    page: PageParams = params(PageParams),
) -> Response:
    me = staff_member(web, Permission.VIEW_AUDIT_LOG)
    entries = await moderation.audit_log(session, page=page)
    targets = await accounts.accounts_by_ids(
        session, {e.target_id for e in entries if e.target_type == "Account"}
    )
    return _page(
        request,
        web,
        me,
        "pages/admin_audit.html",
        "audit",
        entries=await render.audit_entries_json(session, ctx, entries),
        names={str(i): a.username for i, a in targets.items()},
        older=_older(request, [e.id for e in entries], page),
    )
