"""GitHub's REST API: one client with one rate-limit policy (`client`), the topic search split
past the 1000-result cap (`search`), its resumable journal (`checkpoint`), the crawl into a
pinned dataset CSV (`crawl`) and one repository pinned ad hoc (`remote`)."""
