"""The leaderboard server: verified submissions, ranked per env.

Submitters upload a *bundle* (``agentgym submit RUN --server URL --token T``): the run's settings and
claimed scores plus every trajectory. The server believes none of it: it checks the task-set hash and that
every task appears the claimed number of times, re-scores every trajectory with the evaluators, recomputes
the run's scores and rejects the bundle, with the reason, if anything differs (``verify``). Accepted bundles
are stored (``models``, migrated by alembic at start-up; SQLite by default, PostgreSQL by URL) and shown on
server-rendered pages with a JSON API mirroring each one (``app``).

    agentgym leaderboard token create acme --db lb.db      # prints the API token once
    agentgym leaderboard serve --db lb.db --port 8000
    agentgym submit runs/my-run --server http://127.0.0.1:8000 --token agl_... --model my-model
    agentgym leaderboard hide SUBMISSION_ID --db lb.db
"""
