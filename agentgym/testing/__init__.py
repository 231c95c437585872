"""Test support shipped with agentgym: loopback fake servers for what cannot run here."""
