"""Task templates: how a record's slots become training text, and how prompts are formatted
for an adapter trained with them."""

from __future__ import annotations

import enum


class TaskTemplate(enum.StrEnum):
    INSTRUCTION = "INSTRUCTION"
    CHAT = "CHAT"
    COMPLETION = "COMPLETION"
