"""The web console for moderators, the safeguarding lead, catalogue editors and admins.

Mounted at /console by the web app: `Mount("/console", app=build_console(settings, live,
store))`. Off until the first account exists (`signpost users add NAME --role admin`).
"""

from bot.console.app import build_console

__all__ = ["build_console"]
