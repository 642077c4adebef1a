"""Pure analyses: canonical flows in, DataFrames out. No file reading, no output."""
