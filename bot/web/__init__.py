"""The web app (aiohttp): the customer web chat page and its demo login; see `bot.web.app`."""
