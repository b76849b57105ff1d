"""Accounts: users, sign-in sessions with rotating refresh tokens, profiles."""
