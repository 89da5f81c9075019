"""HTTP only: routers, bodies, headers, problem+json; each route calls one use case through the runtime."""
