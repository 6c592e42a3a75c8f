"""The shared identity registry: who a person is, owned by the hub; sectors only hold IDs."""
