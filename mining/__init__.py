"""Mining GitHub for MLflow projects: everything that talks to GitHub or fetches, and the
orchestration of a whole study.

* `mining.github`: the REST client, the topic search, the crawl into a pinned dataset.
* `mining.git`: cloning pinned commits into the cache, walking a clone's history.
* `mining.study`: a study's settings and its one generator, dataset -> clone -> analyze.
* `mining.cli`: the `mlflow-miner` command line; the only modules that use click.

May import `analyzers` (never the reverse).
"""
