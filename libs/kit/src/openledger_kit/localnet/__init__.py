"""Local infrastructure processes (Redis, anvil) and the supervisor behind ``make up``."""
