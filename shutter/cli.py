"""The `shutter` command: serve the API, run workers, migrate, create an admin, approve
accounts and edit the instance's rules and custom emojis.

Every command reads the same `SHUTTER_*` settings and refuses to start, with exit code 2
and a message naming the bad setting, when they cannot run a service.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from shutter.infra.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from shutter.infra.context import AppContext

T = TypeVar("T")

app = typer.Typer(
    help="Shutter: photo sharing with a Mastodon-compatible API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

EXIT_CONFIG = 2
# An idle keep-alive connection stays open this long. uvicorn's default (5 s) races
# clients that poll every 5 s on one connection (Mastodon.py waiting for media does): the
# server closes the connection as the next request is sent on it. Longer than nginx's
# upstream keep-alive (60 s) so the proxy, not the server, always closes first.
KEEP_ALIVE_SECONDS = 75
# On SIGTERM (or Ctrl-C) requests in flight get this long to finish. Streams never finish
# by themselves: without a bound, one open browser tab held `shutter serve` forever. Their
# clients reconnect (EventSource does so itself), behind a load balancer to another process.
SHUTDOWN_GRACE_SECONDS = 5


def _fail(message: str, code: int = EXIT_CONFIG) -> NoReturn:
    err.print(f"[bold red]{escape(message)}[/bold red]")
    raise typer.Exit(code)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        _fail(str(exc))


def _describe_database(settings: Settings) -> str:
    if settings.is_postgres:
        # Never echo a password that may be part of the URL.
        return "PostgreSQL at " + settings.resolved_database_url.rsplit("@", 1)[-1]
    return "SQLite at " + settings.resolved_database_url.split(":///", 1)[1]


async def _revisions(database_url: str) -> tuple[set[str], set[str]]:
    """(revisions the database is at, head revisions of the code)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.ext.asyncio import create_async_engine

    from shutter.infra.migrate import alembic_config

    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            current = await connection.run_sync(
                lambda sync: set(MigrationContext.configure(sync).get_current_heads())
            )
    finally:
        await engine.dispose()
    return current, heads


def _migrate(settings: Settings) -> None:
    from shutter.infra.migrate import upgrade_sync

    settings.var_dir.mkdir(parents=True, exist_ok=True)
    try:
        upgrade_sync(settings.resolved_database_url)
    except (OSError, ConnectionError) as exc:
        _fail(f"Cannot reach the database ({_describe_database(settings)}): {exc}", 1)


def _prepare_database(settings: Settings) -> None:
    """Embedded: migrate on start, nobody else will. Scaled: only check, since many
    processes start at once and schema changes are an operator's deliberate step."""
    if not settings.is_postgres:
        _migrate(settings)
        return
    try:
        current, heads = asyncio.run(_revisions(settings.resolved_database_url))
    except Exception as exc:  # any driver error here means "cannot start"; say which
        _fail(f"Cannot reach the database ({_describe_database(settings)}): {exc}", 1)
    if current != heads:
        at = ", ".join(sorted(current)) or "empty"
        _fail(
            f"The database schema is not up to date (at {at}, code expects "
            f"{', '.join(sorted(heads))}). Run `shutter migrate` first."
        )


def _default_base_url(settings: Settings, host: str, port: int) -> None:
    """Links and OAuth redirects should name the port actually served when nobody set
    SHUTTER_BASE_URL; the app processes read it from the environment we pass on."""
    if "base_url" in settings.model_fields_set or host in {"0.0.0.0", "::"}:
        return
    os.environ["SHUTTER_BASE_URL"] = f"http://{host}:{port}"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="API processes.")] = 1,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            envvar="SHUTTER_FORWARDED_ALLOW_IPS",
            help="Comma-separated addresses (or CIDRs, or *) of the load balancers whose "
            "X-Forwarded-For/-Proto are believed; rate limits then see the client's IP.",
        ),
    ] = "127.0.0.1",
) -> None:
    """Serve the API (and, with SHUTTER_EMBEDDED_WORKERS > 0, run jobs in-process)."""
    import uvicorn

    settings = _settings()
    _prepare_database(settings)
    _default_base_url(settings, host, port)
    out.print(
        f"Shutter serving on http://{host}:{port} ({_describe_database(settings)}, "
        f"{workers} worker{'s' if workers > 1 else ''})",
        highlight=False,
    )
    # The factory reads the settings again in each process from the same environment.
    uvicorn.run(
        "shutter.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        access_log=False,  # request logs belong to the app's structured logging
        server_header=False,
        # Behind nginx every peer is the proxy: only a trusted proxy's X-Forwarded-For
        # names the client, so a client cannot choose its own rate-limit bucket.
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )


@app.command()
def migrate() -> None:
    """Bring the database schema to the latest version (safe to run again)."""
    settings = _settings()
    _migrate(settings)
    out.print(f"Database is up to date ({_describe_database(settings)}).", highlight=False)


async def _run_workers(settings: Settings, concurrency: int, batch: int) -> None:
    from shutter.assembly import create_context
    from shutter.infra.jobs import run_worker

    ctx = create_context(settings)
    stop = asyncio.Event()
    loops = [asyncio.create_task(run_worker(ctx, stop, batch=batch)) for _ in range(concurrency)]

    def on_signal() -> None:
        if stop.is_set():  # a second signal: do not wait; leases hand the jobs on
            for task in loops:
                task.cancel()
        stop.set()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    # Announced only now, so whoever waits for this line may signal us safely.
    out.print(
        f"Shutter worker: {concurrency} loop(s) on {_describe_database(settings)}",
        highlight=False,
    )
    try:
        await asyncio.gather(*loops, return_exceptions=True)
    finally:
        await ctx.close()


async def _drain(settings: Settings) -> int:
    from shutter.assembly import create_context
    from shutter.infra.jobs import drain

    ctx = create_context(settings)
    try:
        return await drain(ctx)
    finally:
        await ctx.close()


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Job loops in this process.")] = 2,
    batch: Annotated[int, typer.Option(min=1, help="Jobs claimed at a time by each loop.")] = 1,
    once: Annotated[bool, typer.Option(help="Run the jobs due now, then exit.")] = False,
) -> None:
    """Run background jobs until SIGTERM/SIGINT; the jobs in hand are finished first."""
    from shutter.infra.logging import configure_logging

    settings = _settings()
    configure_logging(settings)
    _prepare_database(settings)
    if once:
        done = asyncio.run(_drain(settings))
        out.print(f"Ran {done} job{'' if done == 1 else 's'}.", highlight=False)
        return
    asyncio.run(_run_workers(settings, concurrency, batch))
    out.print("Shutter worker stopped.", highlight=False)


async def _create_admin(settings: Settings, username: str, email: str, password: str) -> str:
    from shutter.accounts.service import do_create_account
    from shutter.assembly import create_context

    ctx = create_context(settings)
    try:
        async with ctx.db.write() as session:
            account = await do_create_account(
                session,
                settings=settings,
                username=username,
                email=email,
                password=password,
                role="admin",
            )
            return str(account.id)
    finally:
        await ctx.close()


@app.command()
def createadmin(
    username: Annotated[str, typer.Argument(help="The new admin's username.")],
    email: Annotated[str, typer.Option(help="The new admin's email address.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="Prompted for when not given.",
        ),
    ],
) -> None:
    """Create an account with the admin role."""
    from shutter.infra.errors import ApiError

    settings = _settings()
    _prepare_database(settings)
    try:
        account_id = asyncio.run(_create_admin(settings, username, email, password))
    except ApiError as exc:
        _fail(f"Cannot create {username}: {exc.message}", 1)
    out.print(f"Created admin @{username} (id {account_id}).", highlight=False)


# --- accounts and rules: operators' shortcuts to what admins do through the API -----------

accounts_cli = typer.Typer(help="Manage accounts.", no_args_is_help=True)
rules_cli = typer.Typer(
    help="The instance's rules (GET /api/v1/instance/rules).", no_args_is_help=True
)
app.add_typer(accounts_cli, name="accounts")
app.add_typer(rules_cli, name="rules")


def _in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one committed transaction on the configured database; an ApiError
    (no such account, a bad value) is printed and exits 1."""
    from shutter.assembly import create_context
    from shutter.infra.errors import ApiError

    settings = _settings()
    _prepare_database(settings)

    async def run() -> T:
        ctx = create_context(settings)
        try:
            async with ctx.db.write() as session:
                return await work(session)
        finally:
            await ctx.close()

    try:
        return asyncio.run(run())
    except ApiError as exc:
        _fail(exc.message, 1)


@accounts_cli.command("approve")
def approve_account(username: Annotated[str, typer.Argument(help="The pending account.")]) -> None:
    """Let in an account that signed up while SHUTTER_REGISTRATIONS=approval."""
    from shutter.accounts.service import registrations

    async def approve(session: AsyncSession) -> None:
        account_id = await registrations.account_id_named(session, username)
        await registrations.do_approve_account(session, settings=_settings(), account_id=account_id)

    _in_transaction(approve)
    out.print(f"Approved @{username}.", highlight=False)


@accounts_cli.command("reject")
def reject_account(username: Annotated[str, typer.Argument(help="The pending account.")]) -> None:
    """Refuse a pending account: it is deleted, and its username and address are free."""
    from shutter.accounts.service import registrations

    async def reject(session: AsyncSession) -> None:
        account_id = await registrations.account_id_named(session, username)
        await registrations.do_reject_account(session, settings=_settings(), account_id=account_id)

    _in_transaction(reject)
    out.print(f"Rejected @{username}.", highlight=False)


_USERNAME = Annotated[str, typer.Argument(help="The account's username.")]


@accounts_cli.command("list")
def list_accounts(
    state: Annotated[str | None, typer.Option(help="Only accounts in this state.")] = None,
    role: Annotated[str | None, typer.Option(help="Only accounts with this role.")] = None,
) -> None:
    """Every account: username, role, state and when it was created."""
    from rich.table import Table

    from shutter.accounts.service import states

    async def read(session: AsyncSession) -> list[tuple[str, str, str, str]]:
        found = await states.list_accounts(session, state=state, role=role)
        return [
            (a.username, a.role, states.state_of(a), a.created_at.strftime("%Y-%m-%d %H:%M"))
            for a in found
        ]

    table = Table("username", "role", "state", "created", box=None)
    for row in _in_transaction(read):
        table.add_row(*(escape(cell) for cell in row))
    out.print(table)


@accounts_cli.command("show")
def show_account(username: _USERNAME) -> None:
    """One account: its state and when each state began, its role and counters."""
    from shutter.accounts.service import states

    async def read(session: AsyncSession) -> list[tuple[str, object]]:
        a = await states.account_named(session, username)
        return [
            ("username", a.username),
            ("id", a.id),
            ("role", a.role),
            ("state", states.state_of(a)),
            ("created", a.created_at),
            *((name, getattr(a, f"{name}_at")) for name in _STATE_COLUMNS),
            ("followers", a.followers_count),
            ("following", a.following_count),
            ("posts", a.statuses_count),
        ]

    for name, value in _in_transaction(read):
        shown = "-" if value is None else str(value)
        out.print(f"{name:<12} {escape(shown)}", highlight=False)


_STATE_COLUMNS = ("approved", "suspended", "silenced", "disabled", "deactivated", "deleted")


def _change_state(username: str, change: str, done: str) -> None:
    from shutter.accounts.service import states

    async def run(session: AsyncSession) -> None:
        account = await states.account_named(session, username)
        await getattr(states, change)(session, account)

    _in_transaction(run)
    out.print(f"{done} @{username}.", highlight=False)


@accounts_cli.command("suspend")
def suspend_account(username: _USERNAME) -> None:
    """Hide an account everywhere; its sessions and streams end at once."""
    _change_state(username, "suspend", "Suspended")


@accounts_cli.command("unsuspend")
def unsuspend_account(username: _USERNAME) -> None:
    """Show a suspended account again (its owner logs in anew)."""
    _change_state(username, "unsuspend", "Unsuspended")


@accounts_cli.command("delete")
def delete_account(
    username: _USERNAME,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete an account: gone at once, its data removed by jobs; the name stays taken."""
    if not yes and not typer.confirm(f"Delete @{username} and everything it posted?"):
        _fail("Nothing was deleted.", 1)
    _change_state(username, "delete_account", "Deleted")
    out.print("Its posts, media and the rest are being removed by jobs.", highlight=False)


@accounts_cli.command("role")
def change_role(
    username: _USERNAME,
    role: Annotated[str, typer.Argument(help="user, moderator or admin.")],
) -> None:
    """Give an account a role: moderators handle reports and accounts, admins everything."""
    from shutter.accounts.service import registrations, roles

    async def run(session: AsyncSession) -> str:
        account_id = await registrations.account_id_named(session, username)
        return (await roles.do_set_role(session, account_id=account_id, role=role)).role

    given = _in_transaction(run)
    out.print(f"@{username} is now {given}.", highlight=False)


_RULES_LAG = "API processes show the change within a minute."


@rules_cli.command("add")
def add_rule(
    text: Annotated[str, typer.Argument(help="The rule, at most 300 characters.")],
    hint: Annotated[str, typer.Option(help="A longer explanation.")] = "",
    position: Annotated[int | None, typer.Option(help="Order among the rules.")] = None,
) -> None:
    """Add a rule (last, unless --position says otherwise)."""
    from shutter.instance import rules

    async def add(session: AsyncSession) -> str:
        rule = await rules.do_add_rule(session, text=text, hint=hint, position=position)
        return str(rule.id)

    rule_id = _in_transaction(add)
    out.print(f"Added rule {rule_id}. {_RULES_LAG}", highlight=False)


@rules_cli.command("list")
def list_rules() -> None:
    """The rules in force, in order: id, then text (and hint)."""
    from shutter.instance import rules

    async def read(session: AsyncSession) -> list[tuple[int, str, str]]:
        return [(rule.id, rule.text, rule.hint) for rule in await rules.active_rules(session)]

    for rule_id, text, hint in _in_transaction(read):
        out.print(f"{rule_id}  {escape(text)}", highlight=False)
        if hint:
            out.print(f"    {escape(hint)}", highlight=False)


@rules_cli.command("remove")
def remove_rule(
    rule_id: Annotated[str, typer.Argument(help="The rule's id (rules list).")],
) -> None:
    """Withdraw a rule."""
    from shutter.instance import rules

    async def remove(session: AsyncSession) -> None:
        await rules.do_remove_rule(session, rule_id=rule_id)

    _in_transaction(remove)
    out.print(f"Removed rule {rule_id}. {_RULES_LAG}", highlight=False)


# --- custom emojis: what admins do through /api/v1/shutter/admin/custom_emojis -------------

emojis_cli = typer.Typer(
    help="The instance's custom emojis (GET /api/v1/custom_emojis).", no_args_is_help=True
)
app.add_typer(emojis_cli, name="emojis")
_EMOJIS_LAG = "API processes show the change within 30 seconds."


def _with_context(work: Callable[[AppContext, AsyncSession], Awaitable[T]]) -> T:
    """`_in_transaction` for work that also needs the context (storage, the emoji set)."""
    from shutter.assembly import create_context
    from shutter.infra.errors import ApiError

    settings = _settings()
    _prepare_database(settings)

    async def run() -> T:
        ctx = create_context(settings)
        try:
            async with ctx.db.write() as session:
                return await work(ctx, session)
        finally:
            await ctx.close()

    try:
        return asyncio.run(run())
    except ApiError as exc:
        _fail(exc.message, 1)


@emojis_cli.command("add")
def add_emoji(
    shortcode: Annotated[str, typer.Argument(help="Letters, digits and underscores.")],
    image: Annotated[Path, typer.Argument(help="A PNG, GIF or WebP of at most 256 KB.")],
    category: Annotated[str | None, typer.Option(help="The picker's category.")] = None,
    hidden: Annotated[bool, typer.Option(help="Not shown in the picker.")] = False,
) -> None:
    """Add a custom emoji."""
    from shutter.emojis import service

    if not image.is_file():
        _fail(f"{image}: no such file", 1)
    data = image.read_bytes()[: 256 * 1024 + 1]

    async def add(ctx: AppContext, session: AsyncSession) -> str:
        emoji = await service.do_add_emoji(
            session,
            ctx=ctx,
            shortcode=shortcode,
            image=data,
            category=category,
            visible_in_picker=not hidden,
        )
        return emoji.shortcode

    added = _with_context(add)
    out.print(f"Added :{added}:. {_EMOJIS_LAG}", highlight=False)


@emojis_cli.command("list")
def list_emojis() -> None:
    """Every custom emoji: shortcode, category, and whether hidden or disabled."""
    from shutter.emojis import service

    async def read(ctx: AppContext, session: AsyncSession) -> list[tuple[str, str, str]]:
        return [
            (
                e.shortcode,
                e.category or "",
                " ".join(
                    flag
                    for flag, on in (("hidden", not e.visible_in_picker), ("disabled", e.disabled))
                    if on
                ),
            )
            for e in await service.list_emojis(session)
        ]

    for shortcode, category, flags in _with_context(read):
        out.print(f":{shortcode}:  {escape(category)}  {flags}".rstrip(), highlight=False)


@emojis_cli.command("remove")
def remove_emoji(
    shortcode: Annotated[str, typer.Argument(help="The emoji's shortcode (emojis list).")],
) -> None:
    """Remove a custom emoji (a worker deletes its files)."""
    from shutter.emojis import service
    from shutter.infra.errors import not_found

    async def remove(ctx: AppContext, session: AsyncSession) -> None:
        found = await service.list_emojis(session, shortcode=shortcode.strip(":"))
        if not found:
            raise not_found("Custom emoji")
        await service.do_remove_emoji(session, ctx=ctx, emoji_id=found[0].id)

    _with_context(remove)
    out.print(f"Removed :{shortcode.strip(':')}:. {_EMOJIS_LAG}", highlight=False)
