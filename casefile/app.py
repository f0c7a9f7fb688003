"""The application context: settings, database and archive, built once per command."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from casefile.blobstore import Archive
from casefile.config import ConfigError, Settings, load_settings, resolve_config_path
from casefile.db.engine import make_engine, session_factory

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker


@dataclass
class App:
    settings: Settings

    @classmethod
    def from_config(cls, path: str | None) -> App:
        return cls(load_settings(resolve_config_path(path)))

    @cached_property
    def engine(self) -> Engine:
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        try:
            return make_engine(self.settings.database.url)
        except (ArgumentError, NoSuchModuleError, ValueError) as exc:
            # SQLAlchemy's messages name the problem, not the URL (which may hold a password).
            problem = str(exc).splitlines()[0][:200]
            raise ConfigError.at("database.url", "database_url", error=problem) from None

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

    @cached_property
    def archive(self) -> Archive:
        return Archive(self.settings.storage.path)
