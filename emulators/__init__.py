"""Local emulators of vendor APIs, for tests and the demo; they share no code with the sources that read them."""
