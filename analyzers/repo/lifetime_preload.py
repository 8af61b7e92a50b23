"""Imported only by a forkserver, through its preload list (`lifetime.forkserver_context`):
the server then dies with the process that started it, and its workers with it."""

from analyzers.repo.lifetime import die_with_parent

die_with_parent()
