"""Shared test settings: offline litellm, and one place that decides when real services are required."""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

#: In CI (``.ci/run`` sets this) a missing real service is a failure, not a skip.
IN_CI = bool(os.environ.get("AGENTGYM_CI") or os.environ.get("CI"))
