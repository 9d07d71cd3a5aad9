"""The build side: everything here runs at build time only and is imported by the command line."""
