"""Uploaded videos: storage, content checks, the analysis job and the REST API."""
