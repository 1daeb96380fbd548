"""Know before you run: predicted memory, disk and time of a composition."""
