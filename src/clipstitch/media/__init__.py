"""The media engine: probe, normalize and concat on top of ffmpeg."""
