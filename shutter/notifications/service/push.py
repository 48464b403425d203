"""Push subscriptions: which notifications an access token wants pushed, and the push.

A sub-concern of notifications, built on its core (`service/__init__.py`): a push is
one more way a notification reaches its recipient, after the list and the stream. The
Mastodon client API (`/api/v1/push/subscription`, `notifications/push_api.py`) and the
website's service worker subscribe through the same functions:

- `do_subscribe`, `subscription_of`, `do_update`, `do_unsubscribe` — one subscription
  per access token (a new one replaces the old); `subscription_json` is Mastodon's
  WebPushSubscription entity;
- `enqueue_deliveries` — called by the notification's create job (`jobs.py`) with the
  rendered notification: one `DELIVER` job per subscription whose alerts and policy
  want it;
- `deliver` — that job's work: the payload Mastodon sends, encrypted for the
  subscription (`webpush.py`), signed with the instance's VAPID key, POSTed by
  `push_sender.py`. Network errors, 429 and 5xx raise, so the job system retries with
  backoff; 404 and 410 (the push service forgot the subscription) delete it; another 4xx
  is logged and dropped (sending it again would fail the same way).

A subscription ends with its token: purging a token deletes it (foreign key), and a
revoked or expired token, a disabled account or a token without `push` is found out and
the subscription deleted when something would be pushed to it (auth cannot call up to
this service, and nothing is sent in the meantime).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from shutter.auth import service as auth
from shutter.auth.scopes import covers
from shutter.auth.service.second_factor import derived_key
from shutter.graph import service as graph
from shutter.infra.context import AppContext
from shutter.infra.db import utcnow
from shutter.infra.errors import not_found, unprocessable
from shutter.infra.ids import ids, shard_of
from shutter.infra.jobs import JobKind, enqueue
from shutter.infra.settings import Settings
from shutter.notifications import push_sender, webpush
from shutter.notifications.models import Notification, PushSubscription

log = structlog.get_logger("shutter.push")

# Mastodon 4.3's alerts, in its order; Shutter creates some of these types only.
ALERTS = (
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "admin.sign_up",
    "admin.report",
)
POLICIES = ("all", "followed", "follower", "none")
DELIVER = JobKind("notifications.push", timeout_seconds=30)
# Mastodon's: kept by the push service for two days, delivered without hurry.
TTL_SECONDS = 48 * 3600
URGENCY = "normal"
BODY_CHARACTERS = 140


@dataclass(frozen=True)
class Keys:
    p256dh: str
    auth: str


# --- subscribing ---------------------------------------------------------------------------


def _sealer(settings: Settings) -> Fernet:
    return Fernet(derived_key(settings, "shutter push access token"))


def _check_policy(policy: str) -> str:
    if policy not in POLICIES:
        raise unprocessable("policy must be all, followed, follower or none", field="policy")
    return policy


def _alerts_text(alerts: dict[str, bool]) -> str:
    return " ".join(name for name in ALERTS if alerts.get(name))


def _check_subscription(settings: Settings, endpoint: str, keys: Keys) -> None:
    problem = push_sender.endpoint_problem(endpoint, allow_insecure=settings.push_allow_insecure)
    if problem is not None:
        raise unprocessable(f"subscription[endpoint] {problem}", field="subscription[endpoint]")
    try:
        webpush.parse_p256dh(keys.p256dh)
    except webpush.BadKey as exc:
        field = "subscription[keys][p256dh]"
        raise unprocessable(f"{field} {exc}", field=field) from None
    try:
        webpush.parse_auth(keys.auth)
    except webpush.BadKey as exc:
        field = "subscription[keys][auth]"
        raise unprocessable(f"{field} {exc}", field=field) from None


async def do_subscribe(
    session: AsyncSession,
    settings: Settings,
    *,
    token_id: int,
    account_id: int,
    raw_token: str,
    endpoint: str,
    keys: Keys,
    alerts: dict[str, bool],
    policy: str = "all",
) -> PushSubscription:
    """Subscribe the token (replacing its subscription); 422 on a bad endpoint or keys."""
    _check_subscription(settings, endpoint, keys)
    _check_policy(policy)
    now = utcnow()
    row = {
        "id": ids.next_id(shard_of(account_id)),
        "token_id": token_id,
        "account_id": account_id,
        "endpoint": endpoint,
        "key_p256dh": keys.p256dh.strip(),
        "key_auth": keys.auth.strip(),
        "alerts": _alerts_text(alerts),
        "policy": policy,
        "sealed_token": _sealer(settings).encrypt(raw_token.encode()).decode(),
        "created_at": now,
        "updated_at": now,
    }
    # One statement: two subscribes of one token at once leave one row, never a 500.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(PushSubscription).values(row)
    replaced = {k: v for k, v in row.items() if k not in ("token_id", "account_id")}
    await session.execute(insert.on_conflict_do_update(index_elements=["token_id"], set_=replaced))
    return await subscription_of(session, token_id=token_id)


async def subscription_of(session: AsyncSession, *, token_id: int) -> PushSubscription:
    """The token's subscription; 404 (Mastodon's "Record not found") when it has none."""
    found = await session.scalar(
        select(PushSubscription).where(PushSubscription.token_id == token_id)
    )
    if found is None:
        raise not_found()
    return found


async def do_update(
    session: AsyncSession,
    *,
    token_id: int,
    alerts: dict[str, bool] | None,
    policy: str | None,
) -> PushSubscription:
    """Replace the alerts (those not given are off, as on Mastodon) and the policy."""
    found = await subscription_of(session, token_id=token_id)
    if policy is not None:
        found.policy = _check_policy(policy)
    if alerts is not None:
        found.alerts = _alerts_text(alerts)
    found.updated_at = utcnow()
    await session.flush()
    return found


async def do_unsubscribe(session: AsyncSession, *, token_id: int) -> None:
    """Delete the token's subscription, if any (Mastodon answers {} either way)."""
    await session.execute(delete(PushSubscription).where(PushSubscription.token_id == token_id))


def subscription_json(subscription: PushSubscription, settings: Settings) -> dict[str, Any]:
    """Mastodon's WebPushSubscription entity (`standard`: RFC 8291 messages, always)."""
    wanted = set(subscription.alerts.split())
    return {
        "id": str(subscription.id),
        "endpoint": subscription.endpoint,
        "standard": True,
        "alerts": {name: name in wanted for name in ALERTS},
        "policy": subscription.policy,
        "server_key": webpush.vapid_key(settings).public_key,
    }


# --- pushing -------------------------------------------------------------------------------


def _text(markup: str | None) -> str:
    plain = html.unescape(re.sub(r"<br\s*/?>|</p>\s*<p>", "\n", markup or ""))
    plain = re.sub(r"<[^>]*>", "", plain).strip()
    if len(plain) > BODY_CHARACTERS:
        plain = plain[: BODY_CHARACTERS - 1].rstrip() + "…"
    return plain


_TITLES = {
    "mention": "{name} mentioned you",
    "status": "{name} just posted",
    "reblog": "{name} shared your post",
    "follow": "{name} started following you",
    "follow_request": "{name} requested to follow you",
    "favourite": "{name} liked your post",
    "poll": "A poll has ended",
    "update": "{name} edited a post",
    "admin.sign_up": "{name} signed up",
    "admin.report": "{name} filed a report",
    "moderation_warning": "A moderator took action on your account",
}


def content_of(entity: dict[str, Any]) -> dict[str, Any]:
    """Mastodon's push payload for a rendered Notification entity, less the token."""
    sender = entity.get("account") or {}
    name = sender.get("display_name") or sender.get("username") or ""
    status = entity.get("status") or {}
    if status:
        body = _text(status.get("spoiler_text") or status.get("content"))
    elif entity["type"] == "follow":
        body = _text(sender.get("note"))
    else:
        body = ""
    return {
        "preferred_locale": "en",
        "notification_id": entity["id"],
        "notification_type": entity["type"],
        "icon": sender.get("avatar_static") or sender.get("avatar") or "",
        "title": _TITLES.get(entity["type"], "{name}").format(name=name),
        "body": body,
    }


def _policy_allows(policy: str, relation: dict[str, Any]) -> bool:
    if policy == "all":
        return True
    if policy == "followed":  # people the recipient follows
        return bool(relation.get("following"))
    if policy == "follower":  # people who follow the recipient
        return bool(relation.get("followed_by"))
    return False


async def enqueue_deliveries(
    session: AsyncSession, *, notification: Notification, entity: dict[str, Any]
) -> int:
    """Enqueue a push of `notification` (rendered as `entity` for its recipient) to each
    of the recipient's subscriptions that wants it; returns how many."""
    subscriptions = list(
        await session.scalars(
            select(PushSubscription).where(PushSubscription.account_id == notification.account_id)
        )
    )
    wanted = [s for s in subscriptions if notification.type in s.alerts.split()]
    if not wanted:
        return 0
    relation: dict[str, Any] = {}
    if any(s.policy in ("followed", "follower") for s in wanted):
        found = await graph.relationship(
            session, viewer_id=notification.account_id, target_ids=[notification.from_account_id]
        )
        relation = found[0] if found else {}
    content = content_of(entity)
    count = 0
    for subscription in wanted:
        if _policy_allows(subscription.policy, relation):
            payload = {"subscription_id": subscription.id, "content": content}
            enqueue(session, DELIVER, payload)
            count += 1
    return count


# What a subscription's token allows now (`_token_state`).
SEND, HOLD, END = "send", "hold", "end"


async def _token_state(
    session: AsyncSession, settings: Settings, sub: PushSubscription
) -> tuple[str, str]:
    """(SEND, the raw token) while the token grants `push`; HOLD while its account is
    disabled (its tokens work again once enabled); END when it no longer authenticates."""
    try:
        raw = _sealer(settings).decrypt(sub.sealed_token.encode()).decode()
    except InvalidToken:  # the secret key changed: the token cannot be given back
        return END, ""
    caller = await auth.authenticate(session, raw)
    if caller is None or caller.token_id != sub.token_id or caller.account is None:
        return END, ""
    if not covers(caller.scopes, "push"):
        return END, ""
    if caller.account.disabled_at is not None:
        return HOLD, ""
    return SEND, raw


class PushFailed(Exception):
    """The push service could not take the message now: the job retries."""


async def _drop(ctx: AppContext, subscription_id: int, reason: str) -> None:
    async with ctx.db.write() as session:
        await session.execute(
            delete(PushSubscription).where(PushSubscription.id == subscription_id)
        )
    log.info("push_subscription_dropped", subscription_id=subscription_id, reason=reason)


async def deliver(ctx: AppContext, *, subscription_id: int, content: dict[str, Any]) -> None:
    """Push one notification to one subscription (the `DELIVER` job; see the docstring)."""
    settings = ctx.settings
    async with ctx.db.read() as session:
        subscription = await session.get(PushSubscription, subscription_id)
        if subscription is None:
            return  # unsubscribed since
        notification = await session.get(Notification, int(content["notification_id"]))
        if notification is None:
            return  # withdrawn since (an undone like does not buzz a phone on a retry)
        state, token = await _token_state(session, settings, subscription)
    if state == END:
        await _drop(ctx, subscription_id, "token no longer valid")
    if state != SEND:
        return
    message = orjson.dumps({"access_token": token, **content})
    body = webpush.encrypt(message, p256dh=subscription.key_p256dh, auth=subscription.key_auth)
    subject = f"mailto:{settings.contact_email}" if settings.contact_email else settings.base_url
    headers = {
        "Authorization": webpush.vapid_key(settings).authorization(
            subscription.endpoint, subject=subject
        ),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(TTL_SECONDS),
        "Urgency": URGENCY,
    }
    try:
        answer = await push_sender.post(
            subscription.endpoint,
            body,
            headers,
            allow_insecure=settings.push_allow_insecure,
            time_limit=settings.push_timeout_seconds,
        )
    except push_sender.Refused as exc:
        await _drop(ctx, subscription_id, str(exc))
        return
    except push_sender.Unreachable as exc:
        raise PushFailed(str(exc)) from None
    if 200 <= answer.status < 300:
        return
    if answer.status in (404, 410):
        await _drop(ctx, subscription_id, f"push service answered {answer.status}")
        return
    if answer.status == 429 or answer.status >= 500:
        raise PushFailed(f"push service answered {answer.status}")
    log.warning("push_refused", subscription_id=subscription_id, status=answer.status)
