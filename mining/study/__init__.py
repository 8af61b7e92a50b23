"""A whole study: settings from a TOML file, dataset -> clone -> analyze as one generator
(`run`), and the offline demo corpus (`demo`)."""
