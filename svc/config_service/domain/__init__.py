"""The service's own terms, importing nothing of the project: errors, access, versions, rows, the JSON rules."""
