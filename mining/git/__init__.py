"""Git repositories we do not trust: clone pinned commits sparsely into the cache (`clone`) and
walk a clone's history (`history`). Every git command goes through
`analyzers.repo.gitsafe`."""
