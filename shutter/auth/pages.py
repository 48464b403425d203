"""The plain HTML log-in and consent page of /oauth/authorize, and its signed form token."""

from __future__ import annotations

import hashlib
import hmac
import time
from html import escape

FORM_LIFETIME_SECONDS = 1800


def sign_form(secret: str, fields: dict[str, str], *, now: float | None = None) -> str:
    """A token binding the form to its authorization request and a time (login CSRF)."""
    issued = str(int(now if now is not None else time.time()))
    message = issued + "|" + "|".join(fields[k] for k in sorted(fields))
    mac = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return f"{issued}.{mac}"


def verify_form(secret: str, fields: dict[str, str], token: str) -> bool:
    issued, _, _mac = token.partition(".")
    # A time in ASCII digits: int() refuses other digits (²) and past 4,300 of them, and
    # compare_digest refuses non-ASCII text.
    if not (issued.isascii() and issued.isdigit() and len(issued) <= 20 and token.isascii()):
        return False
    if time.time() - int(issued) > FORM_LIFETIME_SECONDS:
        return False
    return hmac.compare_digest(sign_form(secret, fields, now=int(issued)), token)


_STYLE = """
body{font-family:system-ui,sans-serif;background:#fafafa;margin:0;display:flex;
justify-content:center;padding:2rem 1rem}
main{background:#fff;border:1px solid #dbdbdb;border-radius:12px;padding:2rem;
max-width:360px;width:100%}
h1{font-size:1.6rem;margin:0 0 1rem;text-align:center}
label{display:block;margin:.75rem 0 .25rem;font-size:.9rem}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.6rem;
border:1px solid #dbdbdb;border-radius:6px;font-size:1rem}
button{width:100%;margin-top:1rem;padding:.7rem;border:0;border-radius:8px;font-size:1rem;
background:#0095f6;color:#fff;cursor:pointer}
button.deny{background:#efefef;color:#262626}
.error{color:#ed4956}.scopes{color:#737373;font-size:.9rem}
"""


def page(title: str, body: str) -> str:
    """A small page in the style of these forms; `body` is HTML, escaped by the caller."""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def authorize_page(
    app_name: str, scopes: list[str], fields: dict[str, str], csrf: str, *, error: str | None
) -> str:
    hidden = "".join(
        f'<input type=hidden name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items()
    )
    problem = f"<p class=error role=alert>{escape(error)}</p>" if error else ""
    body = (
        "<h1>Shutter</h1>"
        f"<p><strong>{escape(app_name)}</strong> would like to use your account.</p>"
        f"<p class=scopes>Access: {escape(', '.join(scopes))}</p>{problem}"
        f'<form method=post action="/oauth/authorize">{hidden}'
        f'<input type=hidden name=csrf value="{escape(csrf)}">'
        "<label for=username>Username or email</label>"
        "<input id=username name=username type=text autocomplete=username required>"
        "<label for=password>Password</label>"
        "<input id=password name=password type=password autocomplete=current-password required>"
        "<button type=submit name=decision value=allow>Log in and authorize</button>"
        "<button type=submit name=decision value=deny class=deny formnovalidate>Deny</button>"
        "</form>"
    )
    return page("Authorize", body)


def code_page(code: str | None, *, reactivated: bool = False) -> str:
    if code is None:
        return page("Denied", "<h1>Shutter</h1><p>Authorization denied.</p>")
    welcome = "<p id=reactivated>Welcome back: your account is active again.</p>"
    return page(
        "Authorization code",
        f"<h1>Shutter</h1>{welcome if reactivated else ''}<p>Copy this code into the app:</p>"
        f"<p><code id=code>{escape(code)}</code></p>",
    )
