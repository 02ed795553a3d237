"""`assistant serve`: the API under uvicorn on one host and port, the models loading on a helper thread meanwhile
(`/health` says ready once they are); a start-up that fails stops the server and becomes one `error:` line."""

from __future__ import annotations

import logging

from assistant.config import Settings
from assistant.errors import UserError
from assistant.serve.auth import check_bind
from assistant.serve.service import Service

LOG_FORMAT = "%(levelname)s:     %(message)s"  # as uvicorn's own lines


def run_server(settings: Settings, host: str = "127.0.0.1", port: int = 8080, log_level: str = "info") -> None:
    """Serve until interrupted. Binding other than loopback needs `ASSISTANT_API_TOKEN`."""
    token = settings.api_token.get_secret_value() if settings.api_token else None
    check_bind(host, token)
    import uvicorn

    from assistant.serve.app import create_app

    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO), format=LOG_FORMAT)
    service = Service(settings)
    config = uvicorn.Config(create_app(service), host=host, port=port, log_level=log_level,
                            timeout_graceful_shutdown=5, server_header=False)
    server = uvicorn.Server(config)
    failures: list[str] = []

    def failed(message: str) -> None:
        failures.append(message)
        server.should_exit = True

    service.start_loading(failed)
    try:
        server.run()
    finally:
        service.admission.shutdown()
    if failures:
        raise UserError(failures[0])
