"""Traffic's services on violations and on vehicles, each family a mutation module with its own `fields()`."""
