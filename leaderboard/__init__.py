"""The leaderboard server."""
