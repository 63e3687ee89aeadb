"""The suite runs in demo mode, as `make run` does: its processes may use the demo secrets they are
not given. tests/security/ starts processes outside demo mode on purpose."""
import os

os.environ.setdefault("BOT_DEMO_MODE", "1")
