"""The web server (aiohttp, :8080): the chat widget, its demo page, the staff page and their JSON API.

    /                          demo page: the widget embedded with one script tag, as a library would
    /widget/bieb-widget.js     the widget (plain JS); /widget/bieb-widget.css its look
    /widget/vendor/...         socket.io-client and DOMPurify from bot/web/node_modules (npm ci), never a CDN
    /staff                     the staff lookup page; /api/staff/... its JSON (read-only KB): login needed
    /staff/login               the login page (GET), logging in (POST); POST /staff/logout (bot/web/auth.py)
    POST /api/feedback         👍/👎 on an answer, masked and stored (bot/feedback.py)
    /health                    for the start-up wait

Only the routes in PUBLIC are open to anyone; every other route, also one added later, needs a staff
login (accounts: `python -m bot staff add-user NAME`, in STAFF_USERS_FILE, default var/staff_users.json).

`python -m bot.web.server --port 8080 --rasa-url http://127.0.0.1:5005`; `python -m bot.serve` starts it.
Behind a proxy that ends https: `--trust-proxy` (or WEB_TRUST_PROXY=1), see bot/web/auth.py.
"""
from __future__ import annotations

import argparse
import asyncio
import html
import logging
import os
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Optional
from urllib.parse import urlparse

from aiohttp import web

from bot.feedback import RATINGS, FeedbackStore
from bot.web import auth, staff_api
from knowledge.query import KnowledgeBase, KnowledgeBaseMissing, default

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
NODE_MODULES = HERE / "node_modules"
#: The only files served from node_modules: name under /widget/vendor/ -> file.
VENDOR = {
    "socket.io.min.js": NODE_MODULES / "socket.io-client" / "dist" / "socket.io.min.js",
    "purify.min.js": NODE_MODULES / "dompurify" / "dist" / "purify.min.js",
}
MAX_BODY = 16 * 1024
#: Routes anyone may use (the citizen's widget and what it needs); the rest needs a staff login.
PUBLIC = frozenset({
    "/", "/health", "/demo.css",
    "/widget/bieb-widget.js", "/widget/bieb-widget.css", "/widget/vendor/{name}",
    "/api/feedback",
    "/staff/staff.css",  # the login page's look
})

KB_KEY = web.AppKey("kb", object)
FEEDBACK_KEY = web.AppKey("feedback", object)
CONFIG_KEY = web.AppKey("config", dict)


def problem(status: int, message: str, headers: Optional[Dict[str, str]] = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


def csp(rasa_url: str) -> str:
    parsed = urlparse(rasa_url)
    origin = f"{parsed.scheme}://{parsed.netloc}"
    ws = origin.replace("https://", "wss://").replace("http://", "ws://")
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' {origin} {ws}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


@web.middleware
async def security_headers(request: web.Request, handler: Callable) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if response.content_type == "text/html":
        response.headers.setdefault("Content-Security-Policy", request.app[CONFIG_KEY]["csp"])
    return response


# -- pages and files -------------------------------------------------------------------------
async def demo_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG_KEY]
    page = (STATIC / "demo.html").read_text(encoding="utf-8")
    page = page.replace("{{RASA_URL}}", html.escape(config["rasa_url"], quote=True))
    return web.Response(text=page, content_type="text/html", headers={"Cache-Control": "no-cache"})


async def staff_page(request: web.Request) -> web.Response:
    session = auth.current(request)  # the guard let the request in, so there is one
    page = (STATIC / "staff" / "index.html").read_text(encoding="utf-8")
    page = page.replace("{{USER}}", html.escape(session.user)).replace("{{CSRF}}", html.escape(session.csrf, quote=True))
    return web.Response(text=page, content_type="text/html", headers={"Cache-Control": "no-store"})


def static_file(path: Path) -> Callable:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(path, headers={"Cache-Control": "no-cache"})
    return handler


async def vendor(request: web.Request) -> web.StreamResponse:
    path = VENDOR.get(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    if not path.exists():
        return problem(503, "De widget-bestanden zijn niet geïnstalleerd. Voer uit: make web")
    return web.FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


# -- staff API ---------------------------------------------------------------------------------
def staff_view(build: Callable[..., Dict[str, Any]], *params: str) -> Callable:
    """A GET handler that answers `build(kb, *query params)` as JSON, in a thread (the KB is synchronous)."""
    async def handler(request: web.Request) -> web.Response:
        kb = request.app[KB_KEY]()
        values = [request.query.get(p, "") for p in params]
        try:
            data = await asyncio.to_thread(build, kb, *values)
        except KnowledgeBaseMissing:
            return problem(503, "De kennisbank is nog niet gebouwd of niet bereikbaar. Voer uit: make kb")
        return web.json_response(data, headers={"Cache-Control": "no-store"})
    return handler


async def staff_feedback(request: web.Request) -> web.Response:
    store: FeedbackStore = request.app[FEEDBACK_KEY]()
    down, fallbacks = await asyncio.to_thread(lambda: (store.recent_down(50), store.recent_fallbacks(50)))
    return web.json_response({"down": [vars(e) for e in down], "fallbacks": [vars(e) for e in fallbacks]},
                             headers={"Cache-Control": "no-store"})


# -- feedback from the widget -------------------------------------------------------------------
def cors_headers(request: web.Request) -> Dict[str, str]:
    origin = request.headers.get("Origin", "")
    if origin and origin in request.app[CONFIG_KEY]["cors"]:
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
                "Access-Control-Allow-Methods": "POST, OPTIONS", "Access-Control-Allow-Headers": "Content-Type",
                "Access-Control-Max-Age": "600"}
    return {}


async def feedback_options(request: web.Request) -> web.Response:
    return web.Response(status=204, headers=cors_headers(request))


async def feedback(request: web.Request) -> web.Response:
    headers = cors_headers(request)
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        return problem(400, "Dit bericht kan ik niet lezen. Stuur JSON met question, answer en rating.", headers)
    except web.HTTPRequestEntityTooLarge:
        return problem(413, "Dit bericht is te groot.", headers)
    if not isinstance(body, dict):
        return problem(400, "Stuur een JSON-object met question, answer en rating.", headers)
    question, answer, rating = body.get("question", ""), body.get("answer", ""), body.get("rating")
    if rating not in RATINGS:
        return problem(400, "De beoordeling moet 'up' of 'down' zijn.", headers)
    if not isinstance(question, str) or not isinstance(answer, str):
        return problem(400, "Vraag en antwoord moeten tekst zijn.", headers)
    if not answer.strip():
        return problem(400, "Het antwoord ontbreekt.", headers)
    store: FeedbackStore = request.app[FEEDBACK_KEY]()
    await asyncio.to_thread(store.record, question, answer, rating)
    return web.json_response({"status": "ok", "message": "Bedankt voor uw reactie."}, status=201, headers=headers)


# -- the app -----------------------------------------------------------------------------------
def lazy(make: Callable[[], Any]) -> Callable[[], Any]:
    """Create on first use: the app starts (and answers /health) before the KB is read."""
    box: Dict[str, Any] = {}

    def get() -> Any:
        if "value" not in box:
            box["value"] = make()
        return box["value"]
    return get


def create_app(rasa_url: str = "http://127.0.0.1:5005", cors: Iterable[str] = (),
               kb: Optional[KnowledgeBase] = None, feedback_store: Optional[FeedbackStore] = None,
               staff_auth: Optional[auth.StaffAuth] = None, trust_proxy: bool = False) -> web.Application:
    """The web app. `staff_auth` holds the accounts (default: STAFF_USERS_FILE) and the sessions."""
    app = web.Application(middlewares=[security_headers], client_max_size=MAX_BODY)
    app[CONFIG_KEY] = {"rasa_url": rasa_url.rstrip("/"), "cors": set(cors), "csp": csp(rasa_url)}
    app[KB_KEY] = (lambda: kb) if kb is not None else default
    app[FEEDBACK_KEY] = (lambda: feedback_store) if feedback_store is not None else lazy(FeedbackStore)
    r = app.router
    r.add_get("/", demo_page)
    r.add_get("/health", health)
    r.add_get("/demo.css", static_file(STATIC / "demo.css"))
    r.add_get("/widget/bieb-widget.js", static_file(STATIC / "widget" / "bieb-widget.js"))
    r.add_get("/widget/bieb-widget.css", static_file(STATIC / "widget" / "bieb-widget.css"))
    r.add_get("/widget/vendor/{name}", vendor)
    r.add_get("/staff", staff_page)
    r.add_get("/staff/staff.js", static_file(STATIC / "staff" / "staff.js"))
    r.add_get("/staff/staff.css", static_file(STATIC / "staff" / "staff.css"))
    r.add_get("/api/staff/info", staff_view(staff_api.info))
    r.add_get("/api/staff/schemes", staff_view(staff_api.schemes))
    r.add_get("/api/staff/programmes", staff_view(staff_api.programmes))
    r.add_get("/api/staff/figures", staff_view(staff_api.figures, "q"))
    r.add_get("/api/staff/ido", staff_view(staff_api.ido, "place"))
    r.add_get("/api/staff/feedback", staff_feedback)
    r.add_post("/api/feedback", feedback)
    r.add_route("OPTIONS", "/api/feedback", feedback_options)
    auth.install(app, staff_auth or auth.StaffAuth(), PUBLIC, trust_proxy=trust_proxy)
    return app


def main(argv: Optional[list] = None) -> None:
    from bot.serve import Settings

    settings = Settings()
    parser = argparse.ArgumentParser(description="Bieb-assistent: widget, demo page and staff page")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.web_port)
    parser.add_argument("--rasa-url", default=os.environ.get("RASA_PUBLIC_URL") or settings.rasa_url,
                        help="the Rasa server as the browser reaches it")
    parser.add_argument("--cors", nargs="*", default=settings.cors_origins, help="origins that may post feedback")
    parser.add_argument("--trust-proxy", action="store_true",
                        default=os.environ.get("WEB_TRUST_PROXY", "").lower() in ("1", "true", "yes"),
                        help="believe X-Forwarded-Proto/-For (only behind a proxy that sets them)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    staff_auth = auth.StaffAuth()
    if not staff_auth.users.hashes():
        logging.getLogger(__name__).warning(
            "no staff account in %s: the staff page stays closed. Make one: python -m bot staff add-user NAME",
            staff_auth.users.path)
    app = create_app(args.rasa_url, args.cors, staff_auth=staff_auth, trust_proxy=args.trust_proxy)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
