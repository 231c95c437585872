"""The rollout runner: ``episode`` plays one episode, ``engine`` a whole run (``agentgym run``), ``rundir``
keeps its folder crash-safe and resumable, ``metrics`` turns trajectories into ``scores.json``, ``report``
and ``rescore`` read runs back, and ``ray_executor`` spreads episodes over a Ray cluster."""
