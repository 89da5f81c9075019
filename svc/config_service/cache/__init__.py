"""A worker's read cache: encoded answers of single-resource GETs, invalidated by the feed."""
