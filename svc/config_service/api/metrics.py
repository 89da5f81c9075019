"""GET /metrics: the Prometheus text format, for the whole service however many workers serve it."""

from fastapi import APIRouter, HTTPException, Response

from config_service.api.dependencies import CurrentRuntime
from config_service.domain.errors import ServiceError
from config_service.metrics import exposition

router = APIRouter(tags=["probes"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {exposition.CONTENT_TYPE: {}}, "description": "The Prometheus text format."}},
)
async def metrics(runtime: CurrentRuntime):
    """Counters, histograms and gauges of every worker (see the README's metrics table). Open
    like /health, unless METRICS_TOKEN_REQUIRED=true: then a token with the `metrics` scope (or
    admin) is needed."""
    if runtime.metrics is None:
        raise HTTPException(404, "metrics are off here (METRICS_ENABLED=false)")
    runtime.metrics.flush()  # this worker's last second too
    try:
        await runtime.metrics.sample_head()
    except ServiceError:  # the database is down: the rest is still worth scraping
        pass
    return Response(exposition.render(), media_type=exposition.CONTENT_TYPE)
