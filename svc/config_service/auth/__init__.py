"""A worker's token map (who may call, without a query per request) and the background record of token use."""
