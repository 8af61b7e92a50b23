"""Mining GitHub for MLflow projects: crawl topics into pinned datasets and clone them."""
