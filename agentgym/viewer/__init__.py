"""The trajectory viewer: ``agentgym view RUN [RUN...]`` serves run directories as local web pages.

Python API (for notebooks and tests)::

    from agentgym.viewer import ViewerServer

    with ViewerServer(["runs/calc-oracle"]) as viewer:   # serves on 127.0.0.1, a free port
        print(viewer.url)
"""

from agentgym.viewer.server import ViewerServer

__all__ = ["ViewerServer"]
