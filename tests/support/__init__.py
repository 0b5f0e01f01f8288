"""Test doubles that are real servers (a local OIDC issuer), shared by test modules."""
