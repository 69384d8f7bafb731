"""Collecting every configuration problem before anything is registered.

Validation never stops at the first mistake: a user fixing a stack wants the whole list,
each line naming the domain and the field path (``domains[2].dmarc.rua[0]``).
"""
from __future__ import annotations

from dataclasses import dataclass, field


class ConfigError(ValueError):
    """Invalid settings; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = f"mailbox-org-dns: {count} problem{'s' if count != 1 else ''} in the configuration:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


@dataclass
class Problems:
    """Errors and warnings found while reading settings, worded with their field path."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        if self.errors:
            raise ConfigError(self.errors)
