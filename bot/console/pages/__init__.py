"""Every console route, in one list: `build_console` turns each into a guarded Route."""

from __future__ import annotations

from bot.console.app import Page
from bot.console.pages import account, admin, catalogue, inbox, reports, safety

PAGES: list[Page] = [*account.PAGES, *inbox.PAGES, *safety.PAGES, *reports.PAGES,
                     *catalogue.PAGES, *admin.PAGES]
