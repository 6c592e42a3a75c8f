from hub.audit import outbox as outbox  # registers audit_outbox with the audit's tables
