"""Notifications: what happened to a person (a document about to expire, a new violation, a
service completed, an absconding report filed against them), kept for them in both languages and
pushed to their open subscriptions, in this process or, through Redis, in every worker."""
