"""The load benchmark (`make bench`): simulated customers against a started profile (bot.devtools.bench.run)."""
