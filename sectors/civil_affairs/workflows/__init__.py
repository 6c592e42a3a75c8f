"""Civil affairs' services on the national address and on newborns, each family a mutation module with
its own `fields()`; `text` checks what people write on a form."""
