"""Accounts: registration, phone verification, kiosk activation and sign-in, as Absher does it.

Deliberately empty of imports: `hub.api.context` refers to `hub.accounts.services`, and the
mutations import `hub.contract`, which imports `hub.api.context`; importing them here would cycle.
Use `hub.accounts.mutations.mutation_fields()` and `hub.accounts.services.build_account_services()`.
"""
