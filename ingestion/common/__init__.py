"""Building blocks shared by every file and API source: quarantine, reconciliation, parsing, fingerprints, the runner."""
