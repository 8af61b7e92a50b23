"""A whole study: settings from a TOML file, dataset -> clone -> analyse as one generator
(`run`), and the offline demo corpus (`demo`)."""
