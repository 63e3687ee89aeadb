"""The suite runs in demo mode, as `make run` does: its processes may use the demo secrets they are
not given. tests/security/ starts processes outside demo mode on purpose.

A web app made in a test does not follow the project's own event broker (var/events.db) unless the
test points it at one (BOT_EVENT_SOURCE / `Settings.event_source`) and switches the feed on."""
import os

os.environ.setdefault("BOT_DEMO_MODE", "1")
os.environ.setdefault("BOT_INBOX_FEED", "0")
