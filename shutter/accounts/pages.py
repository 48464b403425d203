"""The small server-rendered pages the mailed links open: the form of a new password
and the outcome of a confirmation. Everything shown is escaped."""

from __future__ import annotations

from html import escape

from shutter.auth.pages import page

# On top of what infra/headers.py gives every HTML page: the pages carry a token in
# their address and form, so they are kept out of caches and referrers, and they load
# nothing and post nowhere but here.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; base-uri 'none'",
}


def reset_form(token: str, *, error: str | None = None) -> str:
    problem = f"<p class=error role=alert>{escape(error)}</p>" if error else ""
    body = (
        "<h1>Shutter</h1><p>Choose a new password. Every app and device logged in to your "
        f"account will be logged out.</p>{problem}"
        '<form method=post action="/api/v1/shutter/password/reset/confirm">'
        f'<input type=hidden name=token value="{escape(token)}">'
        "<label for=password>New password</label>"
        "<input id=password name=password type=password autocomplete=new-password "
        "minlength=8 maxlength=1024 required>"
        "<label for=password_confirmation>Once more</label>"
        "<input id=password_confirmation name=password_confirmation type=password "
        "autocomplete=new-password minlength=8 maxlength=1024 required>"
        "<button type=submit>Set the new password</button>"
        "</form>"
    )
    return page("Reset your password", body)


def message(title: str, text: str) -> str:
    return page(title, f"<h1>Shutter</h1><p>{escape(text)}</p>")


def invite_page(*, title: str, host: str, code: str | None) -> str:
    """What an invite link opens until the website exists: how to sign up with its
    code (or, for `code` None, that the invite cannot be used)."""
    if code is None:
        return page(
            title, f"<h1>{escape(title)}</h1><p>This invite is invalid, used up or expired.</p>"
        )
    body = (
        f"<h1>{escape(title)}</h1><p>You are invited to join {escape(title)}.</p>"
        "<p>Sign up in a Mastodon app: choose the server "
        f"<strong>{escape(host)}</strong> and give this invite code:</p>"
        f"<p><code id=code>{escape(code)}</code></p>"
        "<p class=scopes>Apps that do not ask for a code can send it as "
        "<code>invite_code</code> with the sign-up (<code>POST /api/v1/accounts</code>).</p>"
    )
    return page(f"Join {title}", body)
