"""The web chat: a Starlette app serving one static page and a small JSON API.

    render.py   Reply -> JSON the page draws (text with tel:/sms: links, cards, buttons)
    guard.py    what protects the API: body size, JSON, Origin, rate limits, client address
    app.py      the routes, the security headers and the web Channel over bot.session
    static/     index.html, app.css, app.js: no build step, no third-party request
"""
