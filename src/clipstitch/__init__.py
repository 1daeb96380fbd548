"""clipstitch."""
