"""Passports' services beyond issuing: changing and cancelling visas, absconding reports, passport
renewal and transfers of sponsorship, each a mutation module with its own `fields()`."""
