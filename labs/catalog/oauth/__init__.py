"""The oauth lab: tokens from an authorization server (client credentials, PKCE, refresh)."""
